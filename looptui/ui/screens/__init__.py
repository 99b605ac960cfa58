"""Screens and dialogs of the looptui app, one per file."""
