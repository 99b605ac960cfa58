"""Widgets of the looptui app, one per file."""
