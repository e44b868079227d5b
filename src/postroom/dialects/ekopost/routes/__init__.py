"""The Ekopost dialect's routes, one module per resource of the seed; router.py joins them."""
