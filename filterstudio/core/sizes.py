"""How the studio writes a size: pictures and maps as width × height, kernels by rows and columns.

Pictures and feature maps are written the way photo software writes them, **width × height**
(an 800 × 600 photo is 800 pixels across), and labelled ``(w × h)`` wherever there is room, so
nobody has to guess. Arrays are ``(rows, columns)`` in numpy, so every function here takes
``(h, w)`` in that order and turns it round once. A kernel is written as the command line,
the bank files and PyTorch's ``kernel_size`` write it, rows first (``1x5`` is one row of five
weights); where that could be misread, sentences spell it out in rows and columns.
Plain Python: importing this loads nothing else.
"""

from __future__ import annotations

__all__ = [
    "SIZE_ORDER",
    "kernel_too_large",
    "rows_columns",
    "size_label",
    "size_text",
    "size_words",
]

#: The label that says which number is which.
SIZE_ORDER = "w × h"


def size_text(h: int, w: int) -> str:
    """A picture's or map's size, width first: ``size_text(598, 798) == "798 × 598"``."""
    return f"{int(w)} × {int(h)}"


def size_label(h: int, w: int) -> str:
    """:func:`size_text` with its order named: ``"798 × 598 (w × h)"``."""
    return f"{size_text(h, w)} ({SIZE_ORDER})"


def size_words(h: int, w: int) -> str:
    """The size in words, for tooltips and screen readers: ``"width 798, height 598"``."""
    return f"width {int(w)}, height {int(h)}"


def counted(n: int, word: str) -> str:
    """``n`` and ``word``, plural unless ``n`` is 1: ``1 picture``, ``3 pictures``."""
    return f"{n} {word}" + ("" if n == 1 else "s")


def rows_columns(rows: int, cols: int) -> str:
    """``"1 row, 5 columns"``: a grid's shape that cannot be read the wrong way round."""
    r, c = int(rows), int(cols)
    return f"{r} row{'' if r == 1 else 's'}, {c} column{'' if c == 1 else 's'}"


def kernel_too_large(
    kernel_hw: tuple[int, int], dilation: tuple[int, int], padded_hw: tuple[int, int]
) -> str:
    """The sentence for a kernel that does not fit in the padded picture.

    Dilation is named only when it spreads the kernel (above 1), so the sentence never
    blames a dilation the user did not set.

    Examples
    --------
    >>> kernel_too_large((3, 3), (1, 1), (2, 2))
    'The kernel (3 rows, 3 columns) does not fit: it is larger than the padded image (2 rows, 2 columns); use a smaller kernel or more padding.'
    >>> kernel_too_large((3, 3), (2, 2), (4, 9))[:68]
    'The kernel (3 rows, 3 columns, spread to 5 rows, 5 columns by dilati'
    """
    kh, kw = int(kernel_hw[0]), int(kernel_hw[1])
    dy, dx = int(dilation[0]), int(dilation[1])
    ph, pw = int(padded_hw[0]), int(padded_hw[1])
    shape = rows_columns(kh, kw)
    fix = "use a smaller kernel or more padding"
    if (dy, dx) != (1, 1):
        span = rows_columns(dy * (kh - 1) + 1, dx * (kw - 1) + 1)
        amount = str(dy) if dy == dx else f"{dy} down, {dx} across"
        shape += f", spread to {span} by dilation {amount}"
        fix = "use a smaller kernel or dilation, or more padding"
    return (
        f"The kernel ({shape}) does not fit: it is larger than the padded image "
        f"({rows_columns(ph, pw)}); {fix}."
    )
