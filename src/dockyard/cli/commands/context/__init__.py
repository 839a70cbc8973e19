"""`dockyard context` commands."""
