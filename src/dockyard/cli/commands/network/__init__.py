"""`dockyard network` commands."""
