"""Charts as inline SVG, drawn on the server: nothing to download, readable without script,
and each with a text equivalent (its title and the table beside it) for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = "#1d5fa8"  # 6.2:1 on white
INK = "#1f2933"
GRID = "#c9d2dc"
FONT = "font-family=\"'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif\""


def columns(points: Sequence[tuple[str, int]], title: str, *, width: int = 720,
            height: int = 260) -> Markup:
    """Vertical bars over a sequence (days): for tickets per day."""
    left, bottom, top = 52, 40, 16
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max((v for _, v in points), default=0) or 1
    step = plot_w / max(len(points), 1)
    parts = [_axis(left, top, plot_w, plot_h, peak)]
    every = max(1, len(points) // 8)  # a date label every few bars
    for i, (label, value) in enumerate(points):
        h = plot_h * value / peak
        x = left + i * step
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                     f'width="{max(step * 0.7, 1):.1f}" height="{h:.1f}" fill="{BAR}">'
                     f'<title>{escape(label)}: {value}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 18}" '
                         f'font-size="16" text-anchor="middle" fill="{INK}">'
                         f'{escape(label[5:])}</text>')
    return _svg(width, height, title, parts)


def bars(points: Sequence[tuple[str, int]], title: str, *, width: int = 560) -> Markup:
    """Horizontal bars with their values: for buckets, reasons and intents."""
    row, label_w = 34, 190
    height = max(len(points), 1) * row + 10
    peak = max((v for _, v in points), default=0) or 1
    plot_w = width - label_w - 60
    parts = []
    for i, (label, value) in enumerate(points):
        y = 5 + i * row
        w = plot_w * value / peak
        parts.append(f'<text x="{label_w - 8}" y="{y + 22}" font-size="16" '
                     f'text-anchor="end" fill="{INK}">{escape(_clip(label))}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row - 10}" '
                     f'fill="{BAR}"><title>{escape(label)}: {value}</title></rect>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 22}" font-size="16" '
                     f'fill="{INK}">{value}</text>')
    return _svg(width, height, title, parts)


def _clip(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _axis(left: int, top: int, w: float, h: float, peak: int) -> str:
    lines = []
    for frac in (0, 0.5, 1):
        y = top + h - h * frac
        lines.append(f'<line x1="{left}" x2="{left + w:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID}"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 5:.1f}" font-size="16" text-anchor="end" '
                     f'fill="{INK}">{round(peak * frac)}</text>')
    return "".join(lines)


def _svg(width: int, height: int, title: str, parts: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" {FONT}>'
        f'<title>{escape(title)}</title>{"".join(parts)}</svg>')
