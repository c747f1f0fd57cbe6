"""Plain-Python state of a studio session: the filter bank and its files; never Qt."""

from .bank import ACTIVATIONS, BORDERS, CHANNEL_MODES, Bank, Filter, Layer

__all__ = ["ACTIVATIONS", "BORDERS", "CHANNEL_MODES", "Bank", "Filter", "Layer"]
