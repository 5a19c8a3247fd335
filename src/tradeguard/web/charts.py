"""Inline SVG charts: small, readable without a legend, no script and no outside assets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"${value:,.0f}"
    if value >= 10:
        return f"${value:,.2f}"
    return f"${value:,.3f}"


def peer_price_svg(peers: Sequence[float], declared: float | None, unit: str,
                   width: int = 460, height: int = 96) -> str:
    """Where this line's unit value sits among its peers' (same HTS, origin and unit).

    A log scale keeps a tenfold undervaluation visible next to ordinary spread; the box is
    the middle half of the peers, the line their median, the red mark this declaration.
    """
    values = sorted(v for v in peers if v > 0)
    if len(values) < 3 or declared is None or declared <= 0:
        return ('<p class="muted">Too few comparable declarations for a price picture '
                f'({len(values)} found).</p>')
    def q(p: float) -> float:
        return values[min(len(values) - 1, int(p * (len(values) - 1) + 0.5))]

    # The scale spans the central 90 % of peers and the declaration; stray peers sit at the
    # edge rather than squashing everything else into a corner.
    low_end, high_end = min(q(0.05), declared), max(q(0.95), declared)
    lo = math.log10(low_end * 0.8)
    hi = math.log10(high_end * 1.25)
    pad = 20

    def x(v: float) -> float:
        at = (math.log10(min(max(v, low_end), high_end)) - lo) / (hi - lo)
        return pad + at * (width - 2 * pad)

    q1, med, q3 = q(0.25), q(0.5), q(0.75)
    dots = "".join(f'<circle cx="{x(v):.1f}" cy="{38 + (i % 5) * 3}" r="2" class="peer"/>'
                   for i, v in enumerate(values))
    ratio = declared / med
    label = f"declared {_fmt(declared)}/{escape(unit)} — {ratio:.2f}× the peer median"
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Unit value {label}; peers {_fmt(values[0])} to {_fmt(values[-1])}">'
        f'<rect x="{x(q1):.1f}" y="30" width="{max(1.0, x(q3) - x(q1)):.1f}" height="26" '
        f'class="iqr"/>'
        f'<line x1="{x(med):.1f}" x2="{x(med):.1f}" y1="26" y2="60" class="median"/>{dots}'
        f'<line x1="{x(declared):.1f}" x2="{x(declared):.1f}" y1="16" y2="70" class="declared"/>'
        f'<text x="{pad}" y="88" class="axis">{_fmt(low_end)}</text>'
        f'<text x="{width - pad}" y="88" class="axis" text-anchor="end">{_fmt(high_end)}'
        f'</text><text x="{x(med):.1f}" y="84" class="axis" text-anchor="middle">median '
        f'{_fmt(med)}</text><text x="{x(declared):.1f}" y="12" class="axis declared-label" '
        f'text-anchor="middle">declared</text></svg>'
        f'<p class="chart-note">{label}; {len(values)} comparable declarations.</p>'
    )


def stacked_bars_svg(series: Mapping[str, Mapping[str, int]], colours: Mapping[str, str],
                     width: int = 640, height: int = 160) -> str:
    """Counts per day stacked by kind (e.g. lanes over time)."""
    days = sorted(series)
    if not days:
        return '<p class="muted">Nothing scored yet.</p>'
    top = max(sum(series[d].values()) for d in days) or 1
    bar = (width - 40) / len(days)
    parts = []
    for i, day in enumerate(days):
        y = height - 20.0
        for kind in colours:
            n = series[day].get(kind, 0)
            h = n / top * (height - 40)
            if n:
                y -= h
                parts.append(f'<rect x="{30 + i * bar:.1f}" y="{y:.1f}" '
                             f'width="{max(1.0, bar - 1):.1f}" height="{h:.1f}" '
                             f'class="bar-{escape(kind)}"><title>{escape(day)}: {n} '
                             f'{escape(kind)}</title></rect>')
    parts.append(f'<text x="30" y="{height - 4}" class="axis">{escape(days[0])}</text>')
    parts.append(f'<text x="{width - 10}" y="{height - 4}" class="axis" text-anchor="end">'
                 f'{escape(days[-1])}</text>')
    parts.append(f'<text x="2" y="14" class="axis">{top}</text>')
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="Lines per day by lane">{"".join(parts)}</svg>')
