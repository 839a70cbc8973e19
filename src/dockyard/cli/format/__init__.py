"""Rendering for the CLI: Go templates, tables, sizes and durations as docker prints them."""
