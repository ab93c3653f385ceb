"""Charts drawn on the server as SVG: they work offline and under a strict Content-Security-Policy
(no script, no inline style; only SVG attributes). Every chart carries a title and a description
for screen readers, and pages show the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import count
from math import ceil, floor, log10

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core.formats import amount

_ids = count(1)

#: Line styles of the series of a line chart: colour and dash pattern, so that the series are
#: told apart without colour too (the legend shows the same pattern).
SERIES_STYLES = (
    ("#0b4f6c", ""),
    ("#8e1b0e", "6 4"),
    ("#1b5e20", "2 3"),
    ("#6b4400", "10 3 2 3"),
)


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    label: str
    points: Sequence[tuple[date, Decimal | float | int]]


def _number(value: Decimal | float | int) -> str:
    return amount(value)  # rounded half up, as on the pages (number_format alone cuts off)


def axis_ticks(highest: float, *, whole: bool = False, steps: int = 4) -> list[float]:
    """Round values for a value axis from zero up to at least ``highest``: about ``steps`` steps
    of 1, 2 or 5 times a power of ten. With ``whole`` (things counted in whole units, such as
    placements: people) every tick is a whole number, so an axis never shows 0.5 of a person."""
    highest = max(float(highest), 0.0) or 1.0
    raw = highest / steps
    magnitude = 10.0 ** floor(log10(raw))
    step = next(f * magnitude for f in (1, 2, 5, 10) if f * magnitude >= raw * (1 - 1e-9))
    if whole:
        step = float(max(1, round(step)))
    count_ = max(1, ceil(highest / step - 1e-9))
    return [round(step * index, 6) for index in range(count_ + 1)]


def progress_bar(
    *, reported: Decimal, expected: Decimal, target: Decimal, label: str
) -> SafeString:
    """A bar of ``reported`` out of ``target`` with a marker at ``expected``.

    ``label`` is read out by screen readers (it says the same in words).
    """
    width = 300
    scale = max(target, reported, expected, Decimal(1))
    bar = float(reported / scale) * width
    mark = float(expected / scale) * width
    uid = next(_ids)
    return mark_safe(  # noqa: S308 - every interpolated value is a number or escaped
        f'<svg class="progress" viewBox="0 0 {width} 22" role="img" '
        f'aria-labelledby="pb{uid}" preserveAspectRatio="none">'
        f'<title id="pb{uid}">{escape(label)}</title>'
        f'<rect x="0" y="4" width="{width}" height="14" fill="#eceff1" stroke="#767676"/>'
        f'<rect x="0" y="4" width="{bar:.1f}" height="14" fill="#0b4f6c"/>'
        f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="0" y2="22" stroke="#1a1a1a" '
        f'stroke-width="3" stroke-dasharray="3 2"/></svg>'
    )


def bar_chart(
    items: Sequence[tuple[str, Decimal | float | int]],
    *,
    title: str,
    description: str = "",
    links: Sequence[str | None] | None = None,
) -> SafeString:
    """Horizontal bars, one per ``(label, value)``, with the value written at the bar's end.

    With ``links`` (one address per item, or None), each bar is a link to the list behind it.
    A chart of links is a group of named links rather than one image: the children of an image
    are not reachable by assistive technology (axe: nested-interactive)."""
    uid = next(_ids)
    row, label_width, bar_width = 28, 250, 300
    height = max(1, len(items)) * row + 10
    biggest = max((float(value) for _label, value in items), default=0) or 1
    links = list(links) if links is not None else [None] * len(items)
    role = "group" if any(links) else "img"
    parts = [
        f'<svg class="chart chart-bar" viewBox="0 0 {label_width + bar_width + 70} {height}" '
        f'width="{label_width + bar_width + 70}" height="{height}" role="{role}" '
        f'aria-labelledby="bt{uid} bd{uid}" data-chart="bar">'
        f'<title id="bt{uid}">{escape(title)}</title>'
        f'<desc id="bd{uid}">{escape(description)}</desc>'
    ]
    for index, ((label, value), href) in enumerate(zip(items, links, strict=True)):
        y = 5 + index * row
        length = float(value) / biggest * bar_width
        short = label if len(label) <= 30 else label[:29] + "…"
        name = f"{escape(label)}: {_number(value)}"
        # A linked label looks like a link: the link colour, underlined.
        label_style = 'fill="#0b4f6c" text-decoration="underline"' if href else 'fill="#1a1a1a"'
        bar = (
            f'<text x="{label_width - 6}" y="{y + 18}" text-anchor="end" font-size="13" '
            f"{label_style}>{escape(short)}</text>"
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18" fill="#0b4f6c">'
            f"<title>{name}</title></rect>"
            f'<text x="{label_width + length + 5:.1f}" y="{y + 18}" font-size="13" '
            f'fill="#1a1a1a">{_number(value)}</text>'
        )
        if href:
            bar = f'<a href="{escape(href)}" class="chart-link" aria-label="{name}">{bar}</a>'
        parts.append(bar)
    if not items:
        parts.append('<text x="10" y="20" font-size="13" fill="#4a4a4a">–</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels and links are escaped, the rest numbers


def line_chart(
    series: Sequence[Series], *, title: str, description: str = "", whole: bool = False
) -> SafeString:
    """Lines over time, one per series, with dated x-axis ticks and a value axis from zero.

    ``whole``: the values count whole things (placements are people), so the value axis has
    whole-number ticks only (:func:`axis_ticks`)."""
    uid = next(_ids)
    width, height, left, right, top, bottom = 640, 300, 56, 40, 16, 40
    days = [day for line in series for day, _value in line.points]
    values = [float(value) for line in series for _day, value in line.points]
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="lt{uid} ld{uid}" data-chart="line">'
        f'<title id="lt{uid}">{escape(title)}</title>'
        f'<desc id="ld{uid}">{escape(description)}</desc>'
    ]
    if not days:
        parts.append('<text x="10" y="20" font-size="13" fill="#4a4a4a">–</text></svg>')
        return mark_safe("".join(parts))  # noqa: S308
    first, last = min(days), max(days)
    span = max(1, (last - first).days)
    ticks_y = axis_ticks(max(values, default=0.0), whole=whole)
    top_value = ticks_y[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + (day - first).days / span * plot_w

    def y(value: float) -> float:
        return top + plot_h - value / top_value * plot_h

    places = max(0, -floor(log10(ticks_y[1]))) if ticks_y[1] < 1 else 0

    def tick_text(value: float) -> str:
        return number_format(round(value, places), decimal_pos=places, use_l10n=True)

    for value in ticks_y:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#d0d0d0"/><text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="#1a1a1a" data-tick="y">{tick_text(value)}</text>'
        )
    ticks = sorted({first, last, *(days[i] for i in range(0, len(days), max(1, len(days) // 4)))})
    for day in ticks:
        parts.append(
            f'<text x="{x(day):.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'font-size="12" fill="#1a1a1a">{escape(date_format(day, "SHORT_DATE_FORMAT"))}</text>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#1a1a1a"/>'
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#1a1a1a"/>'
    )
    for line, (colour, dash) in zip(series, SERIES_STYLES, strict=False):
        points = " ".join(f"{x(day):.1f},{y(float(value)):.1f}" for day, value in line.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"'
            f"{dash_attr}><title>{escape(line.label)}</title></polyline>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels are escaped, the rest are numbers


def legend(series: Sequence[Series]) -> SafeString:
    """The key of a line chart: each series' line pattern and its name."""
    items = []
    for line, (colour, dash) in zip(series, SERIES_STYLES, strict=False):
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        items.append(
            f'<li><svg width="36" height="12" aria-hidden="true"><line x1="0" x2="36" y1="6" '
            f'y2="6" stroke="{colour}" stroke-width="3"{dash_attr}/></svg> '
            f"{escape(line.label)}</li>"
        )
    return mark_safe(f'<ul class="legend">{"".join(items)}</ul>')  # noqa: S308
