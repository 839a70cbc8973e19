"""Volumes: the `local` driver, volume plugins, the volume store and the service the API and
containers use (DESIGN.md §2)."""
