"""The engine: numpy, OpenCV and Pillow only, never Qt."""
