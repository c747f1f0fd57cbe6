"""The engine: numpy, OpenCV and Pillow only, never Qt."""

import os as _os

# A last guard behind the studio's own size checks: OpenCV's decoders refuse pictures larger
# than this (it reads the setting when it is first imported; a user's own setting wins).
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(1 << 27))
