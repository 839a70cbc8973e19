"""dockyardd wiring, configuration, events and live restore (issue 4)."""
