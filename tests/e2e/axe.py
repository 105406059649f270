"""axe-core in the browser tests, and the check that a page does not scroll sideways.

axe-core comes from the npm registry (package.json, package-lock.json; `make test` runs `npm ci`),
never from a CDN. It goes into the page through Playwright's evaluate, which the DevTools protocol
runs outside the page's Content-Security-Policy: a <script> tag would be refused by it, and the
policy is not loosened for the tests.
"""

import functools
import json

import pytest
from playwright.sync_api import Page

from tests.servers import ARTIFACTS, ROOT

AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")
# Rules whose "needs review" is a failure all the same: an aria-describedby naming no element on the page.
FAILING_WHEN_INCOMPLETE = ("aria-valid-attr-value",)
# The run's moderate and minor findings and those axe could not decide, one JSON object a line.
REPORT = ARTIFACTS / "axe-moderate.jsonl"

RUN_AXE = """async ([context, tags]) => {
  const results = await axe.run(context ? document.querySelector(context) : document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
  });
  const found = (review) => (v) => ({
    id: v.id,
    impact: v.impact,
    review,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
    summaries: v.nodes.map((n) => n.failureSummary || [...n.any, ...n.all].map((c) => c.message).join("; ")),
  });
  return [...results.violations.map(found(false)), ...results.incomplete.map(found(true))];
}"""


@functools.cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        # Never a skip: an accessibility check that quietly did not run would pass every page.
        pytest.fail(
            f"{AXE_SOURCE} is missing: the browser tests need axe-core. "
            "`make test` installs it; by hand: `npm ci --ignore-scripts`.",
            pytrace=False,
        )
    return AXE_SOURCE.read_text()


def axe_results(page: Page, *, context: str | None = None) -> list[dict]:
    """axe-core's violations and "needs review" findings (`review` true) on the page as it is now,
    or within the element that `context` selects."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE, [context, TAGS])


def failing(finding: dict) -> bool:
    if finding["review"]:
        return finding["id"] in FAILING_WHEN_INCOMPLETE
    return finding["impact"] in FAILING_IMPACTS


def describe(findings: list[dict]) -> str:
    lines = []
    for v in findings:
        lines.append(f"- {v['id']} ({v['impact']}{', needs review' if v['review'] else ''}): {v['help']}")
        for target, summary in zip(v["targets"], v["summaries"], strict=True):
            lines.append(f"    {target}  —  {' '.join(summary.split())[:300]}")
    return "\n".join(lines)


def width_of(page: Page) -> int:
    return page.viewport_size["width"] if page.viewport_size else page.evaluate("innerWidth")


class AxeCheck:
    """`check(page)` fails the test on any serious or critical violation, listing each with its
    elements; the moderate and minor ones, and what axe could not decide, go to REPORT. `label`
    names the page's state in messages (default: its URL)."""

    def __init__(self, test_name: str) -> None:
        self.test_name = test_name

    def __call__(self, page: Page, *, context: str | None = None, label: str | None = None) -> list[dict]:
        findings = axe_results(page, context=context)
        where = f"{label or page.url} at {width_of(page)} px"
        if lesser := [v for v in findings if not failing(v)]:
            ARTIFACTS.mkdir(exist_ok=True)
            with REPORT.open("a") as report:
                for v in lesser:
                    row = {"test": self.test_name, "where": where}
                    row |= {key: v[key] for key in ("id", "impact", "review", "help", "targets")}
                    report.write(json.dumps(row) + "\n")
        failures = [v for v in findings if failing(v)]
        assert not failures, f"axe-core: serious or critical violations on {where}:\n{describe(failures)}"
        return findings


STICKING_OUT = """() => {
  const edge = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= edge + 0.5 || clipped(el)) continue;
    // Only where the overflow starts: an element sticking out inside one that already does is a consequence.
    const parent = el.parentElement.getBoundingClientRect();
    if (el.parentElement !== document.body && parent.right > edge + 0.5) continue;
    out.push(`${name(el)} (right edge at ${Math.round(box.right)} px, ${Math.round(box.width)} px wide)`);
  }
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    clientWidth: document.scrollingElement.clientWidth,
    out: out.slice(0, 12),
  };
}"""


def assert_no_sideways_scroll(page: Page, *, label: str | None = None) -> None:
    """The page is no wider than its viewport; the message names what sticks out past its right edge."""
    found = page.evaluate(STICKING_OUT)
    where = f"{label or page.url} at {width_of(page)} px"
    assert found["scrollWidth"] <= found["clientWidth"], (
        f"{where} scrolls sideways: {found['scrollWidth']} px of content in {found['clientWidth']} px. "
        "Sticking out past the right edge:\n  " + "\n  ".join(found["out"] or ["(no element found)"])
    )
