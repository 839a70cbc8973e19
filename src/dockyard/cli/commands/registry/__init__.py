"""`dockyard registry` commands."""
