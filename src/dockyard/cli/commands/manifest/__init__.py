"""`dockyard manifest` commands."""
