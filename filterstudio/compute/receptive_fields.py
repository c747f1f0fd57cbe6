"""Where a stack's cells lie on the picture: each map's placement, and what one cell reads.

SPEC.md "Receptive field": a cell of stage ``L`` reads picture rows ``i * S_L - sum_l p_l *
S_(l-1)`` through that plus ``r - 1``. Which window each stage contributes depends on the path
from the picture to the map: a conv stage reads *every* map of the stage before, so what it
reads through is the union of its inputs' windows, and that union is the window of the
largest filter among them (with one padding rule for the stage, the larger window holds the
smaller); a pooling stage reads one map. :func:`stage_chain` follows that path and gives the
windows as :class:`~filterstudio.core.receptive.StageGeometry`; the rest follows from
:mod:`filterstudio.core.receptive`.

The studio places a later stage's cell (``S x S`` picture pixels, ``S`` the product of the
strides) centred on its receptive field, exactly as a first-stage cell is centred on its
kernel window (:class:`~filterstudio.core.geometry.MapGeometry`), so every map of every stage
zooms and pans with the picture. No Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.geometry import MapGeometry
from ..core.receptive import Field, StageGeometry, growth, receptive_field
from ..core.sizes import SIZE_ORDER
from ..model.stack import ConvStage, PoolStage, Stack

__all__ = [
    "GrowthRow",
    "cell_field",
    "earlier_fields",
    "field_text",
    "growth_html",
    "growth_rows",
    "map_placement",
    "reads",
    "stage_chain",
]

HW = tuple[int, int]


def reads(stack: Stack, k: int, i: int) -> list[tuple[int, ...]]:
    """The maps of every stage ``0 .. k`` that map ``i`` of stage ``k`` depends on.

    ``result[j]`` holds positions in ``stack.map_keys(j)``; ``result[k] == (i,)``. A conv stage
    depends on every map before it; a pooling stage on the one map it pools.
    """
    n = len(stack.map_keys(k))
    if not 0 <= i < n:
        raise ValueError(f"Stage {k + 1} has no map {i + 1}; it has {n}.")
    out: list[tuple[int, ...]] = [()] * (k + 1)
    out[k] = (i,)
    for j in range(k - 1, -1, -1):
        later = stack.stages[j + 1]
        keys = stack.map_keys(j)
        if isinstance(later, PoolStage):
            sources = {stack.map_sources(j + 1, m)[0][0] for m in out[j + 1]}
            out[j] = tuple(sorted(keys.index(key) for key in sources))
        else:
            out[j] = tuple(range(len(keys)))
    return out


def _largest(stage: ConvStage, positions: tuple[int, ...]):
    """The filter among ``positions`` with the widest window (dilation is the stage's)."""
    filters = [stage.filters[p] for p in positions] or list(stage.filters)
    return max(filters, key=lambda f: (f.size[0] * f.size[1], f.size))


def stage_chain(stack: Stack, image_hw: HW, k: int, i: int) -> list[StageGeometry]:
    """The window, stride and padding each stage ``0 .. k`` contributes to map ``i`` of stage
    ``k`` on a picture of ``image_hw``, with the map sizes along the way.

    Raises
    ------
    ValueError
        When the map has no cells (a window larger than the padded map before it).
    """
    path = reads(stack, k, i)
    chain: list[StageGeometry] = []
    in_hw = (int(image_hw[0]), int(image_hw[1]))
    for j in range(k + 1):
        s = stack.stages[j]
        if isinstance(s, PoolStage):
            g = StageGeometry.pool(in_hw, s.size, stride=s.strides, padding=s.padding)
        else:
            f = _largest(s, path[j])
            lay = s.layer
            g = StageGeometry.conv(
                in_hw, f.size, stride=lay.stride, padding=lay.padding, dilation=lay.dilation
            )
        if 0 in g.out_hw:
            raise ValueError(f"Stage {j + 1}'s window is larger than the map it reads.")
        chain.append(g)
        in_hw = g.out_hw
    return chain


def map_placement(stack: Stack, image_hw: HW, k: int, i: int) -> MapGeometry:
    """Where map ``i`` of stage ``k`` lies on the picture, as a :class:`MapGeometry` whose
    window is the receptive field (``r x r``), whose stride is the jump ``S`` between cells and
    whose padding is the field's offset: cell ``(a, b)`` is drawn ``S x S`` picture pixels wide,
    centred on the field it reads (``map_view`` places maps from exactly these numbers)."""
    chain = stage_chain(stack, image_hw, k, i)
    last = growth(chain)[-1]
    jump = (last.jump[0] * last.stride[0], last.jump[1] * last.stride[1])
    return MapGeometry(
        in_hw=(int(image_hw[0]), int(image_hw[1])),
        kernel_hw=last.size,
        stride=jump,
        dilation=(1, 1),
        pad_top=last.offset[0],
        pad_bottom=0,
        pad_left=last.offset[1],
        pad_right=0,
        out_hw=chain[-1].out_hw,
    )


def cell_field(stack: Stack, image_hw: HW, k: int, i: int, cell: tuple[int, int]) -> Field:
    """The picture rectangle cell ``(row, col)`` of map ``i`` of stage ``k`` reads (it may
    reach past the picture: padding)."""
    return receptive_field(stage_chain(stack, image_hw, k, i), cell)


def earlier_fields(
    stack: Stack, image_hw: HW, k: int, i: int, cell: tuple[int, int]
) -> list[tuple[int, tuple[int, ...], Field]]:
    """What cell ``(row, col)`` of map ``i`` of stage ``k`` reads in every earlier stage:
    ``(stage j, maps of j it reads, the cells of those maps as a Field)``, stage ``k - 1``
    first. The Field is in the cells of stage ``j``'s maps and may reach past them."""
    chain = stage_chain(stack, image_hw, k, i)
    path = reads(stack, k, i)
    out = []
    for j in range(k - 1, -1, -1):
        out.append((j, path[j], receptive_field(chain[j + 1 :], cell)))
    return out


def field_text(field: Field | tuple[int, int]) -> str:
    """``"receptive field 10 × 10 pixels"`` (width × height) for a Field or ``(rows, cols)``."""
    h, w = (field.height, field.width) if isinstance(field, Field) else field
    return f"receptive field {int(w)} × {int(h)} pixels"


@dataclass(frozen=True)
class GrowthRow:
    """One stage's line of the receptive field's growth (rows, columns pairs)."""

    stage: int  # counted from 1
    label: str
    kernel: HW  # effective window k_l
    stride: HW  # s_l
    jump_before: HW  # S_(l-1)
    size: HW  # r after this stage
    jump: HW  # S_l
    out_hw: HW


def growth_rows(stack: Stack, image_hw: HW, k: int | None = None, i: int = 0) -> list[GrowthRow]:
    """The receptive field stage by stage up to map ``i`` of stage ``k`` (default: the last):
    ``r_l = r_(l-1) + (k_l - 1) * S_(l-1)``, ``S_l = S_(l-1) * s_l``."""
    k = len(stack) - 1 if k is None else k
    chain = stage_chain(stack, image_hw, k, i)
    rows = []
    for j, (g, line) in enumerate(zip(chain, growth(chain))):
        s = stack.stages[j]
        label = s.label if isinstance(s, PoolStage) else ("conv" if j else "conv (the bank)")
        jump = (line.jump[0] * line.stride[0], line.jump[1] * line.stride[1])
        rows.append(GrowthRow(j + 1, label, g.kernel, g.stride, line.jump, line.size, jump,
                              g.out_hw))  # fmt: skip
    return rows


def _pair(hw: HW) -> str:
    """A square pair as one number, else ``rows×cols``."""
    return str(hw[0]) if hw[0] == hw[1] else f"{hw[0]}×{hw[1]}"


def growth_html(rows: list[GrowthRow]) -> str:
    """The growth as an HTML table with the formula, for the lesson's cards and tooltips."""
    head = "".join(
        f"<th align='right'>{h}</th>" for h in ("stage", "", "k", "s", "S before", "r", "map")
    )
    body = []
    for row in rows:
        cells = (
            str(row.stage), row.label, _pair(row.kernel), _pair(row.stride),
            _pair(row.jump_before), f"<b>{_pair(row.size)}</b>",
            f"{row.out_hw[1]} × {row.out_hw[0]}",
        )  # fmt: skip
        body.append("<tr>" + "".join(f"<td align='right'>{c}</td>" for c in cells) + "</tr>")
    last = rows[-1]
    return (
        "<p>Each stage widens what one cell sees: <tt>r = r<sub>before</sub> + (k − 1) × "
        "S<sub>before</sub></tt>, where <tt>k</tt> is the stage's window and "
        "<tt>S</tt> is how many picture pixels lie between neighbouring cells of the maps it "
        "reads (the strides so far multiplied).</p>"
        f"<table cellspacing='0' cellpadding='3'><tr>{head}</tr>{''.join(body)}</table>"
        f"<p>A cell of stage {last.stage} sees {last.size[1]} × {last.size[0]} pixels "
        f"({SIZE_ORDER}) of the picture, and its neighbours are {_pair(last.jump)} "
        "pixels apart.</p>"
    )
