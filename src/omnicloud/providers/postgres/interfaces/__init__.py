"""The interface families of the PostgreSQL store, one module each, composed in ``store.py``."""
