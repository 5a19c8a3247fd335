"""Tiny inline SVG charts for the audit report: no scripts, no fonts, no network."""

from __future__ import annotations

from html import escape

W, H, PAD = 520, 220, 40


def _y(v: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1.0
    return H - PAD - (v - lo) / span * (H - 2 * PAD)


def bars(items: list[tuple[str, float | None, float | None, float | None]], title: str,
         reference: float | None = None) -> str:
    """Vertical bars with interval whiskers; ``reference`` draws a dashed line (e.g. 1.0)."""
    vals = [v for _, v, lo, hi in items for v in (v, lo, hi) if v is not None]
    if reference is not None:
        vals.append(reference)
    if not items or not vals:
        return ""
    lo, hi = min(0.0, *vals), max(vals) * 1.1 or 1.0
    step = (W - 2 * PAD) / len(items)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
             f'role="img" aria-label="{escape(title)}">',
             f'<text x="{PAD}" y="16" font-size="13">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#333"/>']
    for i, (label, v, a, b) in enumerate(items):
        x = PAD + i * step + step * 0.15
        if v is not None:
            top = _y(v, lo, hi)
            parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{H - PAD - top:.1f}" fill="#4a78a8"/>')
            parts.append(f'<text x="{x:.1f}" y="{top - 3:.1f}" font-size="10">{v:.3g}</text>')
        if a is not None and b is not None:
            cx = x + step * 0.35
            parts.append(f'<line x1="{cx:.1f}" y1="{_y(a, lo, hi):.1f}" x2="{cx:.1f}" '
                         f'y2="{_y(b, lo, hi):.1f}" stroke="#000" stroke-width="1.5"/>')
        parts.append(f'<text x="{x:.1f}" y="{H - PAD + 14}" font-size="10">'
                     f'{escape(str(label))[:14]}</text>')
    if reference is not None:
        ry = _y(reference, lo, hi)
        parts.append(f'<line x1="{PAD}" y1="{ry:.1f}" x2="{W - PAD}" y2="{ry:.1f}" '
                     'stroke="#c33" stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


def reliability(points: list[tuple[float, float, float]], title: str) -> str:
    """Predicted vs observed with the diagonal of perfect calibration."""
    if not points:
        return ""
    size = H - 2 * PAD

    def px(v: float) -> float:
        return PAD + v * size

    def py(v: float) -> float:
        return H - PAD - v * size

    total = sum(w for _, _, w in points) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size + 2 * PAD}" '
             f'height="{H}" role="img" aria-label="{escape(title)}">',
             f'<text x="{PAD}" y="16" font-size="13">{escape(title)}</text>',
             f'<rect x="{PAD}" y="{PAD}" width="{size}" height="{size}" fill="none" '
             'stroke="#333"/>',
             f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(1)}" stroke="#999" '
             'stroke-dasharray="4 3"/>']
    pts = " ".join(f"{px(p):.1f},{py(o):.1f}" for p, o, _ in points)
    parts.append(f'<polyline points="{pts}" fill="none" stroke="#4a78a8"/>')
    for p, o, w in points:
        r = 2 + 8 * (w / total) ** 0.5
        parts.append(f'<circle cx="{px(p):.1f}" cy="{py(o):.1f}" r="{r:.1f}" '
                     'fill="#4a78a8"/>')
    parts.append(f'<text x="{PAD}" y="{H - 8}" font-size="10">predicted</text></svg>')
    return "".join(parts)
