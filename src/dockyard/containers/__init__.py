"""Containers: the model, its state machine, and the operations the Engine API serves."""
