"""The account page's chart of tokens a day (docs/context.md): an SVG drawn on the server from a
UsageSeries, no script and no library. Bars stacked, prompt tokens below and completion tokens
above; a ring over a day whose figures hold an estimate. Its `<title>` and `<desc>` name and
summarize it for screen readers (the page adds the days as a table); its viewBox scales it to any
width."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from conversation.usage.selectors import UsageSeries

WIDTH, HEIGHT = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 4, 4, 34, 28  # room for the scale above and the days below
GAP = 3  # between bars
SEPARATOR = 1.5  # white between a bar's two parts: each keeps 3:1 against what it touches

TITLE = "Tokens used a day, the last 30 days"


def tokens_text(n: int) -> str:
    """A count of tokens as the chart's scale says it: 950, 3.1k, 31k, 1.2M."""
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}".rstrip("0").rstrip(".") + "k"
    if n < 1_000_000:
        return f"{round(n / 1000)}k"
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"


def _n(value: float) -> str:
    return f"{value:.1f}"


def day_text(day) -> str:
    return f"{day:%b} {day.day}"


def usage_summary(series: UsageSeries) -> str:
    """What the chart shows, in a sentence or two (its `<desc>`)."""
    days = series.days
    total = series.total_prompt_tokens + series.total_completion_tokens
    span = f"From {day_text(days[0].day)} to {day_text(days[-1].day)}"
    if total == 0:
        return f"{span}: no tokens used."
    used = [d for d in days if d.calls]
    busiest = max(days, key=lambda d: d.tokens)
    estimated = sum(1 for d in days if d.estimated_calls)
    text = (
        f"{span}: {total:,} tokens ({series.total_prompt_tokens:,} prompt, "
        f"{series.total_completion_tokens:,} completion) on {len(used)} day{'s' if len(used) != 1 else ''}; "
        f"the most on {day_text(busiest.day)}, {busiest.tokens:,}."
    )
    if estimated:
        text += f" {estimated} day{'s include' if estimated != 1 else ' includes'} estimated counts."
    return text


def _scale_top(largest: int) -> int:
    """A round number at or above the largest day: 1, 2 or 5 times a power of ten."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= largest:
                return top * step
        top *= 10


def usage_chart_svg(series: UsageSeries, *, chart_id: str = "usage-chart") -> SafeString:
    """The chart as inline SVG markup: role="img", named by its title and described by its summary."""
    days = series.days
    top = _scale_top(max((d.tokens for d in days), default=0) or 1)
    plot_height = HEIGHT - TOP - BOTTOM
    bar_width = (WIDTH - LEFT - RIGHT) / len(days) - GAP
    baseline = TOP + plot_height
    parts = [
        format_html(
            '<svg id="{id}" class="usage-chart" viewBox="0 0 {w} {h}" width="100%" role="img"'
            ' aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
            id=chart_id,
            w=WIDTH,
            h=HEIGHT,
            title=TITLE,
            desc=usage_summary(series),
        ),
        format_html(
            '<text class="usage-scale" x="{x}" y="{y}">{top} tokens</text>'
            '<line class="usage-grid" x1="{x}" x2="{x2}" y1="{gy}" y2="{gy}"/>'
            '<line class="usage-axis" x1="{x}" x2="{x2}" y1="{by}" y2="{by}"/>',
            x=LEFT,
            y=TOP - 10,
            top=tokens_text(top),
            x2=WIDTH - RIGHT,
            gy=TOP,
            by=baseline,
        ),
    ]
    for index, day in enumerate(days):
        x = LEFT + index * (bar_width + GAP) + GAP / 2
        prompt_height = plot_height * day.prompt_tokens / top
        completion_height = plot_height * day.completion_tokens / top
        bars = [
            format_html(
                '<rect class="usage-prompt" x="{x}" y="{y}" width="{w}" height="{h}"/>',
                x=_n(x),
                y=_n(baseline - prompt_height),
                w=_n(bar_width),
                h=_n(prompt_height),
            )
        ]
        if day.completion_tokens:
            shown = max(completion_height - SEPARATOR, 1)
            bars.append(
                format_html(
                    '<rect class="usage-completion" x="{x}" y="{y}" width="{w}" height="{h}"/>',
                    x=_n(x),
                    y=_n(baseline - prompt_height - SEPARATOR - shown),
                    w=_n(bar_width),
                    h=_n(shown),
                )
            )
        if day.estimated_calls:
            bars.append(
                format_html(
                    '<circle class="usage-estimated" cx="{cx}" cy="{cy}" r="3"/>',
                    cx=_n(x + bar_width / 2),
                    cy=_n(baseline - prompt_height - completion_height - 8),
                )
            )
        parts.append(
            format_html(
                '<g class="usage-day" data-day="{day}">{bars}</g>',
                day=day.day.isoformat(),
                bars=mark_safe("".join(bars)),  # noqa: S308 - each part built by format_html
            )
        )
    for index in (0, len(days) // 2, len(days) - 1):
        x = LEFT + index * (bar_width + GAP) + GAP / 2 + bar_width / 2
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        parts.append(
            format_html(
                '<text class="usage-day-label" x="{x}" y="{y}" text-anchor="{anchor}">{text}</text>',
                x=_n(x - bar_width / 2 if anchor == "start" else x + bar_width / 2 if anchor == "end" else x),
                y=HEIGHT - 8,
                anchor=anchor,
                text=day_text(days[index].day),
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part built by format_html
