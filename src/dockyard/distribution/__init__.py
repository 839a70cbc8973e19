"""Registry client: pull and push over the Docker registry v2 / OCI distribution API."""
