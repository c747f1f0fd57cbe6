"""What each idea of a lesson means, in words for a class, and which ideas a lesson brings in.

Plain text and HTML for the lesson's explanations panel; no Qt.
"""

from __future__ import annotations

import html

from .insight import kernel_insight
from .lesson import LessonPlan
from .stage_lesson import StageLessonPlan

#: (key, title, text) for every idea the lesson shows, in the order a class meets them.
CONCEPTS: tuple[tuple[str, str, str], ...] = (
    (
        "input",
        "Input image",
        (
            "The picture the lesson starts from, shown as a grid of numbers: each cell is the "
            "brightness of one pixel, from 0 (black) to 1 (white). A colour pixel has three "
            "numbers: red, green and blue."
        ),
    ),
    (
        "kernel",
        "Feature detector (kernel, filter)",
        (
            "A small grid of weights that slides over the image. At each position every input "
            "value under it is multiplied by the weight on top of it, and the products are added "
            "up. Where the image looks like the kernel's pattern, the sum is large."
        ),
    ),
    (
        "map",
        "Feature map (activation map)",
        (
            "The grid of results: one value for each position of the kernel. It fills in as the "
            "kernel moves, left to right and then one row down. Large values mark the places "
            "where the feature was found."
        ),
    ),
    (
        "stride",
        "Stride",
        (
            "How far the kernel moves at each step. With a stride of 2 it skips every other "
            "position, so the feature map is about half as wide and half as high."
        ),
    ),
    (
        "padding",
        "Padding",
        (
            "Extra cells around the border (shaded) so the kernel can also sit over the edge "
            "pixels. The border mode fills them: a constant such as 0, the nearest edge pixel, a "
            "mirror image of the inside, or the opposite side (wrap). With 'same' padding and "
            "stride 1 the map is as big as the image."
        ),
    ),
    (
        "dilation",
        "Dilation",
        (
            "Gaps between the kernel's taps: with a dilation of 2 the kernel reads every other "
            "pixel, so a small kernel looks at a larger area."
        ),
    ),
    (
        "filters",
        "Several filters",
        (
            "A layer of a convolutional network holds several filters. Each one slides over the "
            "same input and makes its own feature map; the layer's output is the stack of maps."
        ),
    ),
    (
        "channels",
        "Channels and depth",
        (
            "A colour image has three channels: red, green and blue. In colour mode each channel "
            "is filtered on its own. In depth mode the filter has one slice per channel; each "
            "slice gives a partial sum, and the partial sums add up to one value, as in a CNN."
        ),
    ),
    (
        "bias",
        "Bias",
        (
            "A number added after the sum. It moves every value of the map up or down, so a "
            "detector can ask for a stronger match before it responds."
        ),
    ),
    (
        "relu",
        "ReLU",
        (
            "An activation applied last: ReLU keeps positive values and turns negative ones into "
            "0, so the map says 'the feature is here' or nothing. (abs keeps the size and drops "
            "the sign.)"
        ),
    ),
    (
        "stages",
        "A stack of stages",
        (
            "A convolutional network repeats the idea: the maps of one stage are the input of "
            "the next. A filter of a later stage has one slice of weights per map it reads; it "
            "multiplies each map under its window by its slice, and adds up all the products of "
            "all the maps (plus its bias), so one cell of its map combines every feature found "
            "before it at that place."
        ),
    ),
    (
        "pooling",
        "Pooling",
        (
            "A pooling stage shrinks each map on its own: it slides a window (often 2 x 2, "
            "moving by 2) and keeps the largest value (max pooling: 'was the feature anywhere "
            "here?') or the mean (average pooling). It has no weights to learn. After a 2 x 2 "
            "max pool the map is half as wide and half as high, and every cell of the next "
            "stage sees twice as far."
        ),
    ),
    (
        "receptive",
        "Receptive field",
        (
            "The part of the picture one cell of a map depends on. A first-stage cell sees its "
            "kernel's window; every later stage widens it by its own window times the distance, "
            "in picture pixels, between neighbouring cells of the maps it reads. Hover a cell of "
            "any stage in the studio to see its field on the picture."
        ),
    ),
    (
        "nonlinear",
        "Why the activation matters",
        (
            "Two conv stages with nothing between them are one conv stage in disguise: a single "
            "larger kernel gives the same map (Stack > Show the Equivalent Single Layer). "
            "With ReLU between them, no single kernel can: the stack bends where values cross "
            "zero, and only then do more stages see more than one bigger filter."
        ),
    ),
    (
        "flip",
        "Correlation versus convolution",
        (
            "What neural networks call convolution is cross-correlation: the kernel is used as it "
            "is. True convolution first turns the kernel half a turn (180 degrees). For a kernel "
            "that looks the same turned around, both give the same map."
        ),
    ),
    (
        "frequencies",
        "What a kernel does to frequencies",
        (
            "A picture is a sum of stripe patterns, from coarse (brightness changing slowly) to "
            "fine (a change at every pixel). A kernel multiplies each pattern by a gain of its "
            "own: its frequency response, drawn in Filters > Kernel Insight. A blur keeps coarse "
            "patterns and weakens fine ones: it is low-pass. An edge detector's weights sum to 0, "
            "so it removes flat areas and keeps fast changes: it is high-pass. Sharpening keeps "
            "both and boosts the fine ones."
        ),
    ),
    (
        "aliasing",
        "Why stride without blur aliases",
        (
            "A stride of 2 keeps every other value, so the map cannot hold a pattern finer than "
            "4 pixels across. Finer detail does not vanish: it folds back as a false, coarser "
            "pattern (aliasing). The checkerboard sample at stride 2 with the identity kernel "
            "comes out all one colour, and fine stripes can come out as wide ones. Blur first "
            "(a low-pass kernel such as gaussian_blur) and that detail is gone before the stride "
            "can fold it: the checkerboard becomes the even grey it looks like from afar. "
            "Networks and picture resizers blur before they shrink for this reason."
        ),
    ),
)


def relevant_concepts(plan: LessonPlan | None, *, filter_count: int = 1) -> set[str]:
    """The concepts the current lesson settings bring into play."""
    keys = {"input", "kernel", "map", "frequencies"}
    if plan is None:
        return keys
    g = plan.geometry
    if g.stride != (1, 1):
        keys.update(("stride", "aliasing"))
    if g.pad_top or g.pad_bottom or g.pad_left or g.pad_right:
        keys.add("padding")
    if g.dilation != (1, 1):
        keys.add("dilation")
    if filter_count > 1:
        keys.add("filters")
    if plan.channels > 1:
        keys.add("channels")
    if plan.bias:
        keys.add("bias")
    if plan.activation in ("relu", "abs"):
        keys.add("relu")
    if plan.flip:
        keys.add("flip")
    return keys


def stage_concepts(plan: StageLessonPlan) -> set[str]:
    """The concepts a later stage's lesson brings into play."""
    keys = {"map", "stages", "receptive"}
    if plan.kind == "pool":
        keys.add("pooling")
    else:
        keys.update(("kernel", "channels", "nonlinear"))
        if plan.bias:
            keys.add("bias")
        if plan.activation in ("relu", "abs"):
            keys.add("relu")
    return keys


def concept_notes(plan: LessonPlan | None) -> dict[str, str]:
    """What the lesson's own kernel adds to the cards, by concept key.

    ``frequencies``: the sentence on what this kernel does to frequencies; ``aliasing`` (with a
    stride above 1): how much of what it lets through the stride cannot hold.
    """
    if plan is None:
        return {}
    stride = plan.geometry.stride
    try:
        insight = kernel_insight(plan.kernel, stride=stride)
    except ValueError:
        return {}
    notes = {"frequencies": f"This kernel: {insight.response_text}"}
    if stride != (1, 1):
        sy, sx = stride
        share = 100.0 * insight.alias_share
        amount = f"{share:.0f}%" if share >= 1 else ("under 1%" if share > 0 else "none")
        notes["aliasing"] = (
            f"This kernel at stride {sy if sy == sx else f'{sy} x {sx}'}: {amount} of what it "
            "lets through is finer than the map can hold."
        )
    return notes


def explanations_html(
    relevant: set[str],
    *,
    presentation: bool = False,
    notes: dict[str, str] | None = None,
    cards: dict[str, str] | None = None,
) -> str:
    """The explanations panel: every concept, those in play first and highlighted.

    ``notes`` (from :func:`concept_notes`) adds a line about the lesson's own kernel to a card;
    ``cards`` adds HTML made by the studio itself (the receptive field's growth table).
    """
    notes = notes or {}
    cards = cards or {}
    size = 16 if presentation else 10
    ordered = [c for c in CONCEPTS if c[0] in relevant] + [
        c for c in CONCEPTS if c[0] not in relevant
    ]
    parts = [f"<div style='font-size:{size}pt'>"]
    for n, (key, title, text) in enumerate(ordered):
        if key in relevant:
            style = "background-color:#fff1b8;color:#000"
            title_html = f"&#9679; {html.escape(title)}"
        else:
            style = "color:#555"
            title_html = html.escape(title)
        if n and key not in relevant and ordered[n - 1][0] in relevant:
            parts.append("<hr/>")
        note = f"<br/><i>{html.escape(notes[key])}</i>" if key in notes else ""
        if key in cards:
            note += f"<div>{cards[key]}</div>"
        parts.append(
            f"<div style='{style};margin-bottom:6px'><a name='{key}'></a>"
            f"<b>{title_html}</b><br/>{html.escape(text)}{note}</div>"
        )
    parts.append("</div>")
    return "".join(parts)
