"""Channel plugins that tests install through a real entry point (see channel_plugins)."""
