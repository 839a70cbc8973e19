"""`dockyard container` commands."""
