"""The interface families of the Redis store, one mixin per module (see ``store.py``)."""
