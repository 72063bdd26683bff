"""Every page, for a visitor, an analyst and an admin, at a laptop's width (1366 CSS pixels) and
a phone's (390): none scrolls sideways (wide tables scroll inside their own box, everything else
wraps), axe-core finds nothing serious or critical, and a screenshot of each is kept
(test-artifacts/screenshots/pages/<width>/<role>/). A form sent with mistakes marks each refused
field, ties it to its message and puts the cursor in the first."""
from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from portal.usecase_pages import result_token
from registry import versions
from tests.conftest import add_copy_of_production
from tests.e2e.accessibility import axe_source, violations
from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.test_story import log_in, log_out, navigate

WIDTHS = (DESKTOP, PHONE)
USECASES = ("heart-disease", "recommendation", "sentiment", "student-score")

# Each role's pages ({name} is filled from the `filled` fixture). Everyone's header differs, so
# every role starts at the home page.
PAGES = {
    "visitor": ["/", *(f"/usecases/{name}/" for name in USECASES),
                *(f"/usecases/{name}/results/{{{name}}}" for name in USECASES),
                "/usecases/heart-disease/versions/1/card", "/auth/login", "/api/docs",
                "/no-such-page"],
    "analyst": ["/", "/history/", "/history/?usecase=heart-disease", "/history/outcomes",
                "/history/predictions/{prediction}", "/auth/password"],
    "admin": ["/", "/admin/", "/admin/models/heart-disease", "/admin/models/heart-disease/compare",
              "/admin/models/heart-disease/versions/2/promote", "/admin/jobs", "/admin/jobs/1",
              "/admin/users",
              "/admin/models/heart-disease/challenger", "/admin/models/heart-disease/datasets",
              "/admin/models/heart-disease/drift", "/admin/models/heart-disease/webhooks",
              "/admin/models/heart-disease/versions/1/live",
              "/admin/models/heart-disease/versions/1/card",
              "/admin/models/heart-disease/datasets/upload", "/admin/usecases/new",
              "/history/"],
}
MISSING = "/no-such-page"  # the one page that is meant to answer "Not Found"


@pytest.fixture(scope="module")
def filled(live_portal) -> dict[str, str]:
    """A second heart-disease version (for the promote page), and a stored prediction of each
    use case with the address of its result page."""
    app, _ = live_portal
    with app.app_context():
        try:
            versions.get_version("heart-disease", 2)
        except versions.NotFound:
            add_copy_of_production("heart-disease")
    client, made = app.test_client(), {}
    for name in USECASES:
        usecase = app.extensions["modelhub.usecases"][name]
        inputs = {k: v for k, v in next(iter(usecase.examples.values())).items()
                  if v is not None}
        answer = client.post(f"/api/v1/usecases/{name}/predict", json={"inputs": inputs})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        made[name] = answer.get_json()["prediction"]["id"]
    with app.app_context():
        filled = {name: result_token(made[name]) for name in USECASES}
    return filled | {"prediction": str(made["heart-disease"])}


def page_name(path: str) -> str:
    """A screenshot's file name for a page address, its placeholders left out."""
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"\{[^}]*\}", "", path)).strip("-") or "home"


def sideways(browser) -> list[str]:
    """What sticks out past the window's right edge: the page's width, and the elements that
    reach beyond it (their tag and class, the first few)."""
    return browser.execute_script("""
        const width = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth <= width) { return []; }
        const out = [`page is ${document.documentElement.scrollWidth}px wide in ${width}px`];
        // Inside a box that scrolls sideways itself (a wide table's), sticking out is fine.
        const scrolls = (el) => {
          for (; el && el !== document.body; el = el.parentElement) {
            if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX)) { return true; }
          }
          return false;
        };
        for (const el of document.querySelectorAll('body *')) {
          const box = el.getBoundingClientRect();
          if (box.right > width + 1 && !scrolls(el.parentElement)) {
            out.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(box.right)}px`);
            if (out.length > 6) { break; }
          }
        }
        return out;""")


def broken_words(browser) -> list[str]:
    """Words of table cells broken across lines (a column squeezed instead of the table
    scrolling), and wide tables that a keyboard cannot reach to scroll (the first few)."""
    return browser.execute_script("""
        const out = [];
        for (const table of document.querySelectorAll('main table')) {
          if (table.scrollWidth > table.clientWidth + 1 && table.tabIndex < 0) {
            out.push(`table.${table.className} scrolls but is not in the tab order`);
          }
        }
        const walker = document.createTreeWalker(document.querySelector('main'),
                                                 NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node && out.length < 6; node = walker.nextNode()) {
          if (!node.parentElement.closest('td, th')) { continue; }
          for (const word of node.data.matchAll(/[A-Za-z]{4,}/g)) {
            const range = document.createRange();
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            const lines = new Set(Array.from(range.getClientRects(),
                                             (rect) => Math.round(rect.top)));
            if (lines.size > 1) { out.push(`"${word[0]}" broken over ${lines.size} lines`); break; }
          }
        }
        return out;""")


def check(browser, axe: str, shot: str, width: int) -> list[str]:
    """The open page's problems (sideways scroll, squeezed tables, serious or critical axe
    violations), after its screenshot is saved as `shot`."""
    screenshot(browser, shot, width)
    return sideways(browser) + broken_words(browser) + violations(browser, axe)


def signed_in(browser, base, people, role):
    """Sign `role` in (a visitor needs nothing); the caller signs out."""
    if role != "visitor":
        log_in(browser, base, *people[role])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", sorted(PAGES))
def test_every_page_fits_and_passes_axe(live_portal, browser, people, filled, role, width):
    axe = axe_source()
    _, base = live_portal
    signed_in(browser, base, people, role)
    browser.set_window_size(width, 844)
    try:
        assert browser.execute_script("return document.documentElement.clientWidth") <= width
        found = {}
        for path in PAGES[role]:
            browser.get(base + path.format(**filled))
            assert ("Not Found" in browser.title) == (path == MISSING), path
            problems = check(browser, axe, f"pages/{width}/{role}/{page_name(path)}", width)
            if problems:
                found[path] = problems
        assert not found, f"{role} at {width} px:\n" + "\n".join(
            f"{path}:\n  " + "\n  ".join(problems) for path, problems in found.items())
    finally:
        browser.set_window_size(1280, 900)
        if role != "visitor":
            log_out(browser)


# Forms sent empty, by whom, and the field the cursor must land in.
FAILED_FORMS = [("visitor", "/usecases/heart-disease/", "f-age"),
                ("visitor", "/auth/login", "username"),
                ("analyst", "/auth/password", "current")]

REFUSED_FIELDS = """
return Array.from(document.querySelectorAll('main [aria-invalid="true"]')).map((field) => ({
  id: field.id,
  messages: (field.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
    .map((id) => { const el = document.getElementById(id);
                   return el ? {id, error: el.classList.contains('error'), text: el.textContent}
                             : {id, missing: true}; }),
}));"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role, path, first", FAILED_FORMS)
def test_a_failed_submit_marks_each_field_and_focuses_the_first(
        live_portal, browser, people, role, path, first, width):
    axe = axe_source()
    _, base = live_portal
    signed_in(browser, base, people, role)
    browser.set_window_size(width, 844)
    try:
        browser.get(base + path)
        navigate(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        refused = browser.execute_script(REFUSED_FIELDS)
        assert refused, "no field is marked aria-invalid"
        for field in refused:
            assert all(not m.get("missing") for m in field["messages"]), field
            assert any(m.get("error") and m["text"].strip() for m in field["messages"]), (
                f"{field['id']} is not described by its error message: {field}")
        assert refused[0]["id"] == first
        assert browser.execute_script("return document.activeElement.id") == first
        problems = check(browser, axe, f"pages/{width}/{role}/{page_name(path)}-refused", width)
        assert not problems, f"{path} sent empty, at {width} px:\n  " + "\n  ".join(problems)
    finally:
        browser.set_window_size(1280, 900)
        if role != "visitor":
            log_out(browser)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_first_tab_shows_a_skip_link_that_jumps_to_the_page(live_portal, browser, width):
    _, base = live_portal
    browser.set_window_size(width, 844)
    try:
        browser.get(base + "/usecases/heart-disease/")
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        link = browser.switch_to.active_element
        assert link.text == "Skip to the main content"
        assert link.rect["y"] >= 0 and link.rect["x"] >= 0  # on screen while it has the focus
        link.send_keys(Keys.ENTER)
        assert browser.switch_to.active_element.tag_name == "main"
        browser.switch_to.active_element.send_keys(Keys.TAB)  # on into the page, not the menu
        assert browser.execute_script(
            "return document.querySelector('main').contains(document.activeElement)")
    finally:
        browser.set_window_size(1280, 900)
