"""Server-rendered SVG bar charts: real pictures without JavaScript, readable without colour.

Every bar carries its value as text, the weakest bars are also hatched and labelled in
words, and each chart is ``role="img"`` with a <title> and a <desc> that states the data, so a
screen reader hears the figures (the page also shows the same data as a table). No inline
``style`` attributes (the CSP forbids them): colour and pattern are SVG presentation
attributes, sizes come from the viewBox and dashboards.css. Every text is escaped here; the
result is returned as ``Markup`` so templates never need ``|safe``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["Bar", "bar_chart", "distribution_chart", "mastery_chart"]

BAR_FILL = "#1d4ed8"  # dark blue: 8.6:1 against white, value labels sit outside the bar
WEAK_FILL = "#b45309"
TEXT_FILL = "#1f2937"
GRID_STROKE = "#d1d5db"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One bar: its category label, its value, the text written on it, whether to stress it."""

    label: str
    value: float | None
    text: str
    emphasis: bool = False


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _nice_max(value: float) -> float:
    """A round upper bound for the value axis (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, width: int, height: int, extra: str = "") -> str:
    cid = _e(chart_id)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{cid}-title {cid}-desc" '
        f'font-family="{_e(FONT)}" font-size="13" fill="{TEXT_FILL}">'
        f'<title id="{cid}-title">{_e(title)}</title><desc id="{cid}-desc">{_e(desc)}</desc>'
        f"{extra}"
    )


def _hatch(chart_id: str) -> str:
    return (
        f'<defs><pattern id="{_e(chart_id)}-hatch" patternUnits="userSpaceOnUse" width="8" '
        f'height="8" patternTransform="rotate(45)"><rect width="8" height="8" fill="{WEAK_FILL}"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="3"/></pattern></defs>'
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_label: str,
    y_label: str,
    max_value: float | None = None,
    integer: bool = False,
) -> Markup:
    """Vertical bars with their value written above each bar and the category below;
    ``integer`` keeps the value axis to whole numbers (for counts)."""
    width, height = 680, 320
    left, right, top, bottom = 56, 16, 28, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = max_value or _nice_max(max((b.value or 0 for b in bars), default=0))
    ticks = 4
    if integer:  # counts: whole-number gridlines only
        top_value = float(max(1, math.ceil(top_value)))
        if top_value > 5:
            top_value = float(math.ceil(top_value / 4) * 4)
        else:
            ticks = int(top_value)
    parts = [_open(chart_id, title, desc, width, height, _hatch(chart_id))]
    for i in range(ticks + 1):
        value = top_value * i / ticks
        y = top + plot_h - plot_h * i / ticks
        parts.append(
            f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_STROKE}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_e(_fmt(value))}</text>'
        )
    slot = plot_w / max(len(bars), 1)
    bar_w = slot * 0.7
    for i, bar in enumerate(bars):
        value = max(bar.value or 0.0, 0.0)
        h = plot_h * min(value / top_value, 1.0) if top_value else 0.0
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h - h
        fill = f"url(#{_e(chart_id)}-hatch)" if bar.emphasis else BAR_FILL
        cx = x + bar_w / 2
        parts.append(
            f'<g class="bar-group"><rect class="bar" x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_w:.1f}" height="{h:.1f}" fill="{fill}" stroke="{TEXT_FILL}" '
            f'stroke-width="{1 if h else 0}" data-label="{_e(bar.label)}" '
            f'data-value="{_e(bar.text)}"/>'
            f'<text class="bar-value" x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" '
            f'font-weight="600">{_e(bar.text)}</text>'
            f'<text class="bar-label" x="{cx:.1f}" y="{top + plot_h + 18}" '
            f'text-anchor="middle" font-size="12">{_e(bar.label)}</text></g>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{TEXT_FILL}" stroke-width="1.5"/>'
        f'<text class="axis-label" x="{left + plot_w / 2:.1f}" y="{height - 12}" '
        f'text-anchor="middle">{_e(x_label)}</text>'
        f'<text class="axis-label" x="14" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{_e(y_label)}</text></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped


def distribution_chart(
    bins: Sequence[tuple[str, int]], *, chart_id: str = "distribution", title: str
) -> Markup:
    """Students per score band, from ``(label, count)`` pairs."""
    total = sum(count for _, count in bins)
    desc = f"{total} students. " + "; ".join(
        f"{label}: {count} student{'s' if count != 1 else ''}" for label, count in bins
    )
    bars = [Bar(label, float(count), str(count)) for label, count in bins]
    return bar_chart(
        bars,
        chart_id=chart_id,
        title=title,
        desc=desc,
        x_label="Score band (% of the quiz's points)",
        y_label="Students",
        max_value=float(max((c for _, c in bins), default=0)),
        integer=True,
    )


def mastery_chart(
    skills: Sequence[tuple[str, float | None, str, bool]],
    *,
    chart_id: str = "mastery",
    title: str,
) -> Markup:
    """Horizontal bars, one per skill, 0–100 %: ``(label, percentage, detail, weakest)``.
    The weakest skills are hatched and say "weakest" in words beside the value."""
    row_h, label_w, bar_max, right = 34, 330, 300, 170
    width = label_w + bar_max + right
    top = 30
    height = top + row_h * max(len(skills), 1) + 28
    desc = "; ".join(
        f"{label}: {'no data' if pct is None else _fmt(pct) + '%'} ({detail})"
        + (", among the weakest" if weak else "")
        for label, pct, detail, weak in skills
    )
    parts = [_open(chart_id, title, desc or "No answers yet.", width, height, _hatch(chart_id))]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_max * tick / 100
        parts.append(
            f'<line class="grid" x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" '
            f'y2="{height - 22}" stroke="{GRID_STROKE}" stroke-width="1"/>'
            f'<text x="{x:.1f}" y="{top - 12}" text-anchor="middle" font-size="11">{tick}%</text>'
        )
    for i, (label, pct, detail, weak) in enumerate(skills):
        y = top + i * row_h + 6
        w = bar_max * min(max(pct or 0.0, 0.0), 100.0) / 100
        fill = f"url(#{_e(chart_id)}-hatch)" if weak else BAR_FILL
        value = "no data" if pct is None else f"{_fmt(pct)}%"
        note = " · weakest" if weak else ""
        parts.append(
            f'<g class="bar-group"><title>{_e(f"{label}: {value} ({detail})")}</title>'
            f'<text class="bar-label" x="{label_w - 10}" y="{y + 15}" '
            f'text-anchor="end">{_e(label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y}" width="{bar_max}" height="22" '
            f'fill="none" stroke="{GRID_STROKE}"/>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w:.1f}" height="22" fill="{fill}" '
            f'stroke="{TEXT_FILL}" stroke-width="{1 if w else 0}" data-label="{_e(label)}" '
            f'data-value="{_e(value)}"/>'
            f'<text class="bar-value" x="{label_w + bar_max + 8}" y="{y + 15}" '
            f'font-weight="600">{_e(value + note)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece above is escaped
