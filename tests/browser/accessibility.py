"""What every page in the browser walks must pass: axe-core, no horizontal scroll, screenshots.

`Pages.look(page, name)` screenshots the page at 1280 and at 390 pixels wide (full page, under
the test's own output folder), checks at each width that nothing is wider than the window
(`document.documentElement.scrollWidth`), and runs axe-core (vendored, `vendor/axe.min.js`) at
each width, failing on any violation axe rates serious or critical. The walks' browser contexts
bypass the pages' Content-Security-Policy (`bypass_csp=True`) so the test may inject axe; the
app's own pages never run a script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WIDTHS = (1280, 390)
SEVERE = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))}));
}"""


def severe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in SEVERE]


def scroll_width(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


class Pages:
    """Looks at each page of a walk; `seen` lists what was looked at, in order."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.out.mkdir(parents=True, exist_ok=True)
        self.seen: list[str] = []

    def look(self, page: Any, name: str, narrowest: int | None = None) -> None:
        """Screenshots at 1280 and 390 px (and `narrowest`, e.g. 360 for the portal), no
        horizontal scroll at the narrow widths, no serious or critical axe violation."""
        before = page.viewport_size
        widths = (*WIDTHS, narrowest) if narrowest else WIDTHS
        number = len(self.seen) + 1
        try:
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=str(self.out / f"{number:02d}-{name}-{width}.png"), full_page=True)
                if width < 1000:
                    assert scroll_width(page) <= width, f"{name} scrolls sideways at {width} px: {scroll_width(page)} px wide"
                violations = severe_violations(page)
                assert not violations, f"{name} at {width} px: axe found {violations}"
        finally:
            page.set_viewport_size(before)
        self.seen.append(name)
