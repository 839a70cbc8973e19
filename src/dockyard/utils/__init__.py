"""Only what two or more packages really share (DESIGN.md §2): records and fast JSON."""
