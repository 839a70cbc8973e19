"""The dockyard command line (issue 5): commands only, over client/."""
