"""The field types, one module per family; ``omnicloud.data.generators.TYPES`` lists them."""
