"""`dockyard volume` commands."""
