"""`dockyard system` commands."""
