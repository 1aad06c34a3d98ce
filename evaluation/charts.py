"""Charts as SVG strings: pure functions over plain values (no database, no JavaScript).

The dashboards inline them in their pages and the PDF reports embed the same markup, since
WeasyPrint runs no JavaScript. Every label and link is escaped here, and text is normalised to NFC
so a Vietnamese name prints with the same code points as it is stored. Each bar and point carries
`data-value` and a `<title>` (a tooltip, read aloud by screen readers); a figure with a link is
wrapped in `<a href>` so it leads to the list behind it.

    bar_chart(["STC", "SYT"], [12, 3], title="HTXS")
    stacked_bar_chart(["01", "02"], [Series("A", [1, 2]), Series("B", [5, 4])], title="…")
    line_chart(["01", "02"], [Series("A", [0.2, 0.35])], title="…", percent=True, reference=(0.3, "30%"))

The strings are safe to mark safe in a template (`mark_safe`): nothing unescaped gets in.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# Distinct in colour and in greyscale print, best grade first.
PALETTE = ("#1b6e3a", "#4f8fcc", "#e0a100", "#b3261e", "#7a5c99", "#5f6b7a", "#2a9d8f", "#c76b98")
SVG_NS = "http://www.w3.org/2000/svg"

Number = int | float


@dataclass(frozen=True)
class Series:
    """One named row of values (None = no value), optionally with a colour and a link per value."""

    name: str
    values: Sequence[Number | None]
    color: str | None = None
    links: Sequence[str | None] | None = None


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 44
    right: int = 12
    top: int = 28
    bottom: int = 24

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base_y(self) -> float:
        return self.top + self.plot_h


def nfc(value: object) -> str:
    return unicodedata.normalize("NFC", str(value))


def _text(value: object) -> str:
    return escape(nfc(value))


def _attr(value: object) -> str:
    return quoteattr(nfc(value))


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def default_format(value: Number) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def percent_format(value: Number) -> str:
    return f"{value * 100:.0f}%"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (1 when there is nothing to draw)."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5):
        if value <= step * exponent * (1 + 1e-9):
            return step * exponent
    return 10 * exponent


def _short(label: str, limit: int) -> str:
    label = nfc(label)
    return label if len(label) <= limit else label[: max(1, limit - 1)] + "…"


def _open(frame: _Frame, title: str, font_family: str) -> list[str]:
    return [
        f'<svg xmlns="{SVG_NS}" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-label={_attr(title)} '
        f'font-family={_attr(font_family)} font-size="11" class="chart" style="max-width:100%;height:auto">',
        f"<title>{_text(title)}</title>",
    ]


def _linked(element: str, link: str | None) -> str:
    return f"<a href={_attr(link)}>{element}</a>" if link else element


def _y_axis(frame: _Frame, y_max: float, fmt: Callable[[Number], str]) -> list[str]:
    parts = []
    for fraction in (0, 0.5, 1):
        y = frame.base_y - fraction * frame.plot_h
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.width - frame.right}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="#d9dee5" stroke-width="1"/>'
            f'<text x="{frame.left - 4}" y="{_num(y + 4)}" text-anchor="end" fill="#5f6b7a">'
            f"{_text(fmt(float(y_max * fraction)))}</text>"
        )
    return parts


def _x_labels(frame: _Frame, labels: Sequence[str], slot: float) -> list[str]:
    limit = max(3, int(slot / 6.5))
    parts = []
    for i, label in enumerate(labels):
        x = frame.left + slot * (i + 0.5)
        parts.append(
            f'<text x="{_num(x)}" y="{_num(frame.base_y + 15)}" text-anchor="middle" fill="#1d2733">'
            f"<title>{_text(label)}</title>{_text(_short(label, limit))}</text>"
        )
    return parts


def _legend(frame: _Frame, series: Sequence[Series], colors: list[str]) -> list[str]:
    parts, x = [], float(frame.left)
    for s, color in zip(series, colors, strict=True):
        parts.append(
            f'<rect x="{_num(x)}" y="8" width="10" height="10" fill="{color}"/>'
            f'<text x="{_num(x + 14)}" y="17" fill="#1d2733">{_text(s.name)}</text>'
        )
        x += 24 + 7 * len(nfc(s.name))
    return parts


def _reference(frame: _Frame, y_max: float, reference: tuple[Number, str] | None) -> list[str]:
    if reference is None:
        return []
    value, label = reference
    y = frame.base_y - min(1.0, value / y_max) * frame.plot_h
    return [
        f'<line class="reference" x1="{frame.left}" x2="{frame.width - frame.right}" y1="{_num(y)}" '
        f'y2="{_num(y)}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="5 3" data-value="{_num(value)}"/>'
        f'<text x="{frame.width - frame.right}" y="{_num(y - 3)}" text-anchor="end" fill="#b3261e">'
        f"{_text(label)}</text>"
    ]


def _colors(series: Sequence[Series]) -> list[str]:
    return [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]


def _check_lengths(labels: Sequence[str], series: Sequence[Series]) -> None:
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r}: one value per label")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Number | None],
    *,
    title: str,
    links: Sequence[str | None] | None = None,
    width: int = 640,
    height: int = 220,
    y_max: Number | None = None,
    reference: tuple[Number, str] | None = None,
    fmt: Callable[[Number], str] = default_format,
    color: str = PALETTE[1],
    font_family: str = "sans-serif",
) -> str:
    """One bar per label, heights proportional to the values (None draws no bar)."""
    if len(values) != len(labels):
        raise ValueError("one value per label")
    frame = _Frame(width, height, top=16)
    top = max([v for v in values if v is not None] + [reference[0] if reference else 0])
    y_max = y_max or nice_max(top)
    slot = frame.plot_w / max(1, len(labels))
    parts = _open(frame, title, font_family) + _y_axis(frame, y_max, fmt)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            continue
        h = value / y_max * frame.plot_h
        x = frame.left + slot * i + slot * 0.15
        rect = (
            f'<rect class="bar" x="{_num(x)}" y="{_num(frame.base_y - h)}" width="{_num(slot * 0.7)}" '
            f'height="{_num(h)}" fill="{color}" data-value="{_num(value)}">'
            f"<title>{_text(f'{nfc(label)}: {fmt(value)}')}</title></rect>"
        )
        parts.append(_linked(rect, links[i] if links else None))
    parts += _reference(frame, y_max, reference) + _x_labels(frame, labels, slot)
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
    y_max: Number | None = None,
    fmt: Callable[[Number], str] = default_format,
    font_family: str = "sans-serif",
) -> str:
    """One bar per label made of one segment per series (first series at the bottom), with a legend."""
    _check_lengths(labels, series)
    frame = _Frame(width, height)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    y_max = y_max or nice_max(max(totals, default=0))
    slot = frame.plot_w / max(1, len(labels))
    colors = _colors(series)
    parts = _open(frame, title, font_family) + _legend(frame, series, colors) + _y_axis(frame, y_max, fmt)
    for i, label in enumerate(labels):
        y = frame.base_y
        x = frame.left + slot * i + slot * 0.15
        for s, color in zip(series, colors, strict=True):
            value = s.values[i]
            if not value:
                continue
            h = value / y_max * frame.plot_h
            y -= h
            rect = (
                f'<rect class="segment" x="{_num(x)}" y="{_num(y)}" width="{_num(slot * 0.7)}" '
                f'height="{_num(h)}" fill="{color}" data-series={_attr(s.name)} data-value="{_num(value)}">'
                f"<title>{_text(f'{nfc(label)} · {nfc(s.name)}: {fmt(value)}')}</title></rect>"
            )
            parts.append(_linked(rect, s.links[i] if s.links else None))
    parts += _x_labels(frame, labels, slot)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
    y_max: Number | None = None,
    reference: tuple[Number, str] | None = None,
    percent: bool = False,
    font_family: str = "sans-serif",
) -> str:
    """One polyline per series over the labels; a None value breaks the line."""
    _check_lengths(labels, series)
    fmt = percent_format if percent else default_format
    frame = _Frame(width, height)
    top = max([v for s in series for v in s.values if v is not None] + [reference[0] if reference else 0])
    # Shares keep some headroom above the highest point or reference, and never go past 100%.
    y_max = y_max or (min(1, nice_max(top * 1.25)) if percent and top <= 1 else nice_max(top))
    slot = frame.plot_w / max(1, len(labels))
    colors = _colors(series)
    parts = _open(frame, title, font_family) + _legend(frame, series, colors) + _y_axis(frame, y_max, fmt)
    parts += _reference(frame, y_max, reference)
    for s, color in zip(series, colors, strict=True):
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = frame.left + slot * (i + 0.5), frame.base_y - value / y_max * frame.plot_h
            runs[-1].append((x, y))
            point = (
                f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{color}" '
                f'data-series={_attr(s.name)} data-value="{_num(value)}">'
                f"<title>{_text(f'{nfc(labels[i])} · {nfc(s.name)}: {fmt(value)}')}</title></circle>"
            )
            points.append(_linked(point, s.links[i] if s.links else None))
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
                parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{coords}"/>')
        parts += points
    parts += _x_labels(frame, labels, slot)
    parts.append("</svg>")
    return "".join(parts)
