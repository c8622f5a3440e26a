"""Reusable constructs shared by the stacks."""
