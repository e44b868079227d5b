"""What every way in over HTTP shares (the native API, the dialects, the dashboard): the
container of the process and the caller read from any accepted credential."""
