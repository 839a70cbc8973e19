"""The Engine API client: the CLI's only way to the daemon (stdlib only, quick to import)."""
