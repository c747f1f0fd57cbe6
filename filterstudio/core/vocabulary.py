"""The studio's words for its choices: border modes, paddings, activations, channel modes, mappings.

Each choice has the name that files, scripts and the command line use, a short label for a
menu and a sentence for its tooltip. The name tuples (``BORDERS``, ``PADDING_NAMES``, ...) are
what code validates against; widgets read the labels and tips from the ``*_TERMS`` tables, so
renaming or explaining a choice happens here once. Plain Python: importing this loads nothing
else, so the command line can use it before numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_TERMS",
    "BORDERS",
    "BORDER_TERMS",
    "CHANNEL_MODES",
    "CHANNEL_MODE_TERMS",
    "CUSTOM_PADDING",
    "MAPPINGS",
    "MAPPING_TERMS",
    "PADDING_NAMES",
    "PADDING_TERMS",
    "Term",
    "term",
]


@dataclass(frozen=True)
class Term:
    """One choice: ``name`` as saved and typed, ``label`` as shown, ``tip`` as explained."""

    name: str
    label: str
    tip: str = ""


#: How the cells outside the picture are filled (SPEC: the border modes).
BORDER_TERMS: tuple[Term, ...] = (
    Term("constant", "constant",
         "constant — pad with one value (cval); 0 = black (OpenCV CONSTANT)."),
    Term("edge", "edge", "edge — repeat the outermost pixel (OpenCV REPLICATE)."),
    Term("reflect", "reflect",
         "reflect — mirror without repeating the edge (OpenCV REFLECT_101)."),
    Term("symmetric", "symmetric",
         "symmetric — mirror, repeating the edge pixel (OpenCV REFLECT)."),
    Term("wrap", "wrap",
         "wrap — continue from the opposite side, as if tiled (PyTorch circular)."),
)  # fmt: skip

#: Padding by name; a pair of numbers (cells on each side) is the other kind.
PADDING_TERMS: tuple[Term, ...] = (
    Term("valid", "valid", "No padding: the kernel stays inside the image, the output shrinks."),
    Term("same", "same", "Pad so the output is ceil(n / stride) (Keras/TensorFlow 'same')."),
    Term("full", "full", "Pad k-1 on every side: every overlap of kernel and image counts."),
)
#: The window's fourth padding choice: numbers typed in, saved as a pair, never as this name.
CUSTOM_PADDING = Term("custom", "custom", "Pad a chosen number of cells on each side.")

#: Applied last, after the bias.
ACTIVATION_TERMS: tuple[Term, ...] = (
    Term("none", "none", "The map as summed, bias included."),
    Term("relu", "ReLU", "ReLU: negative values become 0."),
    Term("abs", "abs  |x|", "abs: the size of each value, without its sign."),
)

#: How a colour picture meets the kernel.
CHANNEL_MODE_TERMS: tuple[Term, ...] = (
    Term("color", "colour", "Each of R, G, B is filtered on its own: the output is in colour."),
    Term("gray", "grey", "The picture is turned to grey (luma) first: one output channel."),
    Term("depth", "depth", "One filter with depth: a k x k x 3 kernel summed over R, G and B."),
)

#: How map values become grey levels or colours (SPEC: display mappings).
MAPPING_TERMS: tuple[Term, ...] = (
    Term("clip", "clip", "0 is black, 1 is white; values outside are clipped."),
    Term("minmax", "minmax", "The map's smallest value is black, its largest white."),
    Term("abs", "abs", "The size of each value, clipped to 1: the sign is dropped."),
    Term("offset", "offset", "Zero is mid-grey: -0.5 is black, 0.5 white."),
    Term("diverging", "diverging", "A diverging colour map centred on 0, symmetric about it."),
)

BORDERS: tuple[str, ...] = tuple(t.name for t in BORDER_TERMS)
PADDING_NAMES: tuple[str, ...] = tuple(t.name for t in PADDING_TERMS)
ACTIVATIONS: tuple[str, ...] = tuple(t.name for t in ACTIVATION_TERMS)
CHANNEL_MODES: tuple[str, ...] = tuple(t.name for t in CHANNEL_MODE_TERMS)
MAPPINGS: tuple[str, ...] = tuple(t.name for t in MAPPING_TERMS)


def term(terms: tuple[Term, ...], name: str) -> Term:
    """The term called ``name`` in ``terms``.

    Raises
    ------
    KeyError
        When no term has that name.

    Examples
    --------
    >>> term(BORDER_TERMS, "edge").tip.split(" — ")[0]
    'edge'
    """
    for t in terms:
        if t.name == name:
            return t
    raise KeyError(name)
