"""The per-container supervisor (issue 4)."""
