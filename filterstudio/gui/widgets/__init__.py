"""Widgets of the studio window."""
