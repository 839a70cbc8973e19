"""The commands, one package per group and one module per verb (see cli/tree.py)."""
