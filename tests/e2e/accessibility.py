"""axe-core, the accessibility checker, run inside the page the browser shows.

scripts/install-browser installs it from npm's registry at the version that
tests/e2e/package-lock.json pins (into tests/e2e/node_modules, which git ignores); a test injects
it into each page and asks it for the page's violations. Only serious and critical ones fail a
test: those block someone from using the page (a field without a name, text too faint to read,
a control that a keyboard cannot reach), where minor and moderate ones make it harder.
"""
from __future__ import annotations

from pathlib import Path

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")

# axe.run answers a promise; the async script hands its outcome back to Selenium, reduced to
# what a failure message needs.
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (results) => done(results.violations.filter((v) => arguments[0].includes(v.impact)).map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(' ')).slice(0, 5),
    count: v.nodes.length,
  }))),
  (error) => done([{rule: 'axe failed to run', impact: 'critical', help: String(error),
                    targets: [], count: 0}]));
"""


def axe_source() -> str:
    """axe.min.js, or a failure that says how to get it: the check is never skipped."""
    if not AXE.exists():
        raise AssertionError(
            f"axe-core is not installed ({AXE} is missing): run scripts/install-browser "
            "(it runs `npm ci --prefix tests/e2e`; `make test` and .ci/run call it)")
    return AXE.read_text(encoding="utf-8")


def violations(browser, source: str) -> list[str]:
    """The page's serious and critical axe violations, one line each: rule, impact, what it
    asks for, and the selectors of the first elements that break it."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(source)
    found = browser.execute_async_script(RUN, list(BLOCKING))
    return [f"{v['rule']} ({v['impact']}): {v['help']}; {v['count']} element(s): "
            + ", ".join(v["targets"]) for v in found]
