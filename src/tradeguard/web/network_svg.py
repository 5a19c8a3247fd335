"""The party cluster as an inline SVG graph: members in the middle, counterparties around.

Members of the cluster (the spellings linked as one firm) sit on an inner ring joined by the
links that merged them, labelled with the match probability; the firms they trade with sit
on an outer ring, joined by a line whose width grows with the number of shared lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

KIND_CLASS = {"importer": "n-importer", "manufacturer": "n-manufacturer", "seller": "n-seller",
              "shipper": "n-shipper", "consignee": "n-consignee"}


def _ring(n: int, radius: float, cx: float, cy: float, turn: float = 0.0
          ) -> list[tuple[float, float]]:
    if n == 1 and radius < 60:
        return [(cx, cy)]
    return [(cx + radius * math.cos(turn + 2 * math.pi * i / n),
             cy + radius * math.sin(turn + 2 * math.pi * i / n)) for i in range(n)]


def _label(text: str, limit: int = 28) -> str:
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def cluster_svg(members: Sequence[Mapping[str, Any]], links: Sequence[Mapping[str, Any]],
                counterparties: Sequence[Mapping[str, Any]], width: int = 760,
                height: int = 520) -> str:
    """The SVG text (no script, no outside references); at most 16 counterparties shown."""
    cx, cy = width / 2, height / 2
    inner = _ring(len(members), 0 if len(members) == 1 else 90, cx, cy)
    shown = list(counterparties[:16])
    outer = _ring(len(shown), min(cx, cy) - 60, cx, cy, turn=-math.pi / 2)
    at = {str(m["record_id"]): p for m, p in zip(members, inner, strict=True)}
    most = max((int(c.get("lines", 1)) for c in shown), default=1)
    parts = [f'<svg class="chart network" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Party cluster: {len(members)} members, {len(shown)} counterparties">']
    for (x, y), c in zip(outer, shown, strict=True):
        w = 1 + 5 * int(c.get("lines", 1)) / most
        parts.append(f'<line class="e-trade" x1="{cx:.1f}" y1="{cy:.1f}" x2="{x:.1f}" '
                     f'y2="{y:.1f}" stroke-width="{w:.1f}"><title>{c.get("lines", 0)} shared '
                     f'lines</title></line>')
    for link in links:
        a, b = at.get(str(link["left"])), at.get(str(link["right"]))
        if a is None or b is None:
            continue
        prob = float(link.get("probability", 0.0))
        parts.append(f'<line class="e-link" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{b[0]:.1f}" '
                     f'y2="{b[1]:.1f}"><title>match probability {prob:.3f}</title></line>')
        parts.append(f'<text class="axis" x="{(a[0] + b[0]) / 2:.1f}" '
                     f'y="{(a[1] + b[1]) / 2 - 4:.1f}" text-anchor="middle">{prob:.2f}</text>')
    for (x, y), c in zip(outer, shown, strict=True):
        kind = str(c.get("kind", ""))
        parts.append(f'<circle class="{KIND_CLASS.get(kind, "n-other")}" cx="{x:.1f}" '
                     f'cy="{y:.1f}" r="7"><title>{escape(kind)}: {escape(str(c["name"]))}'
                     f'</title></circle>')
        anchor = "start" if x >= cx else "end"
        dx = 10 if x >= cx else -10
        parts.append(f'<text class="axis" x="{x + dx:.1f}" y="{y + 4:.1f}" '
                     f'text-anchor="{anchor}">{_label(str(c["name"]))}</text>')
    for m in members:
        x, y = at[str(m["record_id"])]
        kind = str(m.get("kind", ""))
        parts.append(f'<circle class="member {KIND_CLASS.get(kind, "n-other")}" cx="{x:.1f}" '
                     f'cy="{y:.1f}" r="12"><title>{escape(kind)}: {escape(str(m["name"]))} '
                     f'({m.get("declarations", 0)} declarations)</title></circle>')
        parts.append(f'<text class="member-label" x="{x:.1f}" y="{y + 28:.1f}" '
                     f'text-anchor="middle">{_label(str(m["name"]), 34)}</text>')
    parts.append("</svg>")
    return "".join(parts)
