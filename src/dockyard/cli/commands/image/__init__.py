"""`dockyard image` commands."""
