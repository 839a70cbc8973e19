"""`dockyard builder` commands."""
