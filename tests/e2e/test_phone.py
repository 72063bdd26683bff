"""At a phone's width (390 CSS pixels) no page scrolls sideways, for a visitor, an admin and an
analyst: wide tables scroll inside their own box, and everything else wraps."""
from __future__ import annotations

import pytest

from registry import versions
from tests.conftest import add_copy_of_production
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_story import log_in, log_out

PHONE = 390

PAGES = {
    None: ["/", "/usecases/heart-disease/", "/usecases/recommendation/",
           "/usecases/sentiment/", "/usecases/student-score/", "/auth/login", "/api/docs"],
    "analyst": ["/history/", "/history/?usecase=heart-disease", "/history/outcomes",
                "/history/predictions/{prediction}", "/auth/password"],
    "admin": ["/admin/", "/admin/models/heart-disease", "/admin/models/heart-disease/compare",
              "/admin/models/heart-disease/versions/2/promote", "/admin/jobs", "/admin/jobs/1",
              "/admin/users",
              "/admin/models/heart-disease/challenger", "/admin/models/heart-disease/datasets",
              "/admin/models/heart-disease/drift", "/admin/models/heart-disease/webhooks",
              "/admin/models/heart-disease/versions/1/live",
              "/admin/models/heart-disease/versions/1/card",
              "/admin/models/heart-disease/datasets/upload", "/admin/usecases/new",
              "/history/", "/usecases/heart-disease/versions/1/card"],
}


@pytest.fixture(scope="module")
def filled(live_portal) -> dict[str, int]:
    """A second heart-disease version (for the promote page) and a stored prediction."""
    app, _ = live_portal
    with app.app_context():
        try:
            versions.get_version("heart-disease", 2)
        except versions.NotFound:
            add_copy_of_production("heart-disease")
    usecase = app.extensions["modelhub.usecases"]["heart-disease"]
    inputs = {k: v for k, v in next(iter(usecase.examples.values())).items() if v is not None}
    answer = app.test_client().post("/api/v1/usecases/heart-disease/predict",
                                    json={"inputs": inputs})
    return {"prediction": answer.get_json()["prediction"]["id"]}


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


@pytest.mark.parametrize("role", [None, "analyst", "admin"])
def test_no_page_scrolls_sideways_on_a_phone(live_portal, browser, people, filled, role):
    _, base = live_portal
    if role:
        log_in(browser, base, *people[role])
    browser.set_window_size(PHONE, 844)
    try:
        width = browser.execute_script("return document.documentElement.clientWidth")
        assert width <= PHONE
        found = {}
        for path in PAGES[role]:
            path = path.format(**filled)
            browser.get(base + path)
            assert "Not Found" not in browser.title, path
            if path == "/admin/models/heart-disease":  # for people to look at
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                browser.save_screenshot(str(SCREENSHOTS / "phone-admin-versions.png"))
            problems = sideways(browser)
            if problems:
                found[path] = problems
        assert found == {}, found
    finally:
        browser.set_window_size(1280, 900)
        if role:
            log_out(browser)
