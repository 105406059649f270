"""The chart of tokens a day: one bar a day, scaled to a round top, named and summarized."""

from datetime import date, timedelta

from conversation.usage.chart import tokens_text, usage_chart_svg, usage_summary
from conversation.usage.selectors import UsageDay, UsageSeries

TODAY = date(2026, 12, 7)


def series(**figures) -> UsageSeries:
    """30 empty days up to TODAY, with figures by how many days ago: {"d0": (prompt, completion, est)}."""
    days = []
    for ago in range(29, -1, -1):
        prompt, completion, estimated = figures.get(f"d{ago}", (0, 0, 0))
        days.append(
            UsageDay(
                day=TODAY - timedelta(ago),
                prompt_tokens=prompt,
                completion_tokens=completion,
                calls=1 if prompt or completion else 0,
                estimated_calls=estimated,
            )
        )
    return UsageSeries(days=days)


def test_counts_read_short():
    assert [tokens_text(n) for n in (0, 950, 1000, 3140, 9999, 31_400, 999_499, 1_250_000)] == [
        "0",
        "950",
        "1k",
        "3.1k",
        "10k",
        "31k",
        "999k",
        "1.2M",
    ]


def test_an_empty_month_says_so_and_draws_30_empty_days():
    svg = usage_chart_svg(series())
    assert svg.count('class="usage-day"') == 30
    assert 'height="0.0"' in svg
    assert usage_summary(series()) == "From Nov 8 to Dec 7: no tokens used."


def test_the_tallest_day_reaches_under_a_round_top_and_estimated_days_are_marked():
    svg = usage_chart_svg(series(d0=(3000, 400, 1), d5=(100, 10, 0)))
    assert ">5k tokens</text>" in svg
    assert svg.count('class="usage-estimated"') == 1
    assert svg.startswith('<svg id="usage-chart" class="usage-chart" viewBox="0 0 480 220" width="100%" role="img"')
    assert 'aria-labelledby="usage-chart-title usage-chart-desc"' in svg
    assert usage_summary(series(d0=(3000, 400, 1), d5=(100, 10, 0))) == (
        "From Nov 8 to Dec 7: 3,510 tokens (3,100 prompt, 410 completion) on 2 days; the most on Dec 7, 3,400."
        " 1 day includes estimated counts."
    )
