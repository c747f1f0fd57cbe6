"""The studio window: the only package that imports Qt."""
