"""A user's story in a real browser: a visitor, an admin and an analyst use the portal."""
import csv
import io
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from registry import predictions, serving, versions
from tests.e2e.conftest import screenshot


def navigate(browser, element) -> None:
    """Click something that loads a new page, and wait until that page has replaced this one:
    an element found before then may belong to the old page and go stale under the test."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 60).until(expected_conditions.staleness_of(page))


def test_a_visitor_gets_a_prediction(live_portal, browser):
    app, base = live_portal
    browser.get(base + "/")
    screenshot(browser, "home")
    cards = browser.find_elements(By.CSS_SELECTOR, ".card h2 a")
    assert len(cards) == len(app.extensions["modelhub.usecases"])

    # Pick a use case from the menu, load its first example, submit.
    navigate(browser, browser.find_element(By.LINK_TEXT, "Heart disease"))
    navigate(browser, browser.find_elements(By.CSS_SELECTOR, ".examples a")[0])
    assert browser.find_element(By.NAME, "age").get_attribute("value") != ""
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    summary = browser.find_element(By.CSS_SELECTOR, ".result .summary").text
    assert "%" in summary
    assert "Made by model version 1" in browser.page_source
    screenshot(browser, "result-heart-disease")
    with app.app_context():
        assert predictions.recent("heart-disease")[0].source == "form"


def test_a_visitor_picks_movies_with_the_search(live_portal, browser):
    app, base = live_portal
    browser.get(base + "/")
    navigate(browser, browser.find_element(By.LINK_TEXT, "Movie recommendations"))
    search = browser.find_element(By.CSS_SELECTOR, ".picker-search")
    search.send_keys("toy story")
    WebDriverWait(browser, 10).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, ".picker-suggestions button"))
    browser.find_elements(By.CSS_SELECTOR, ".picker-suggestions button")[0].click()
    chip = browser.find_element(By.CSS_SELECTOR, ".picker-chosen .chip").text
    assert "Toy Story" in chip
    screenshot(browser, "form-recommendation")
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    items = browser.find_elements(By.CSS_SELECTOR, ".result ol li")
    assert len(items) == 10
    assert "Toy Story (1995)" not in [i.text.split("\n")[0] for i in items]
    screenshot(browser, "result-recommendation")


def log_in(browser, base, username, password):
    browser.get(base + "/auth/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    WebDriverWait(browser, 10).until(lambda b: "/auth/login" not in b.current_url)


def log_out(browser):
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "header form button"))
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.LINK_TEXT, "Log in"))


def test_an_admin_retrains_and_promotes(live_portal, browser, people):
    app, base = live_portal
    log_in(browser, base, *people["admin"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "Models"))
    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Heart disease"))
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Train a new version']"))

    # The job page updates itself (admin.js polls) until the training process is done, then
    # reloads so the server shows the outcome: wait for that page, not for the polled text.
    WebDriverWait(browser, 180, poll_frequency=0.5,
                  ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "succeeded" in b.find_element(
            By.CSS_SELECTOR, ".job[data-job-finished='true']").text)
    screenshot(browser, "admin-job-finished")
    assert browser.find_element(By.CSS_SELECTOR, "progress").get_attribute("value") in ("1", "1.0")

    browser.find_element(By.NAME, "reason").send_keys("retrained in the browser test")
    navigate(browser, browser.find_element(By.XPATH,
                                          "//button[starts-with(text(), 'Promote v2')]"))
    assert "v2" in browser.find_element(By.TAG_NAME, "main").text
    with app.app_context():
        live = versions.production_version("heart-disease")
        assert live.version == 2
        assert versions.promotions("heart-disease")[0].reason == "retrained in the browser test"
    log_out(browser)


def test_an_analyst_filters_and_exports(live_portal, browser, people, downloads):
    app, base = live_portal
    with app.app_context():  # one more prediction from another source, to filter out
        serving.predict("sentiment", [{"review": "Lovely tea, will buy again."}], source="api")
    log_in(browser, base, *people["analyst"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "History"))
    Select(browser.find_element(By.NAME, "usecase")).select_by_value("heart-disease")
    Select(browser.find_element(By.NAME, "source")).select_by_value("form")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show']"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    assert rows and all("heart-disease" in r.text or "Heart" in r.text for r in rows)
    assert browser.find_elements(By.CSS_SELECTOR, "svg")
    screenshot(browser, "history")

    browser.find_element(By.PARTIAL_LINK_TEXT, "CSV").click()
    csv_file = wait_for_download(downloads)
    table = list(csv.DictReader(io.StringIO(csv_file.read_text())))
    assert len(table) == len(rows)
    assert {(r["usecase"], r["source"]) for r in table} == {("heart-disease", "form")}


def wait_for_download(folder: Path, seconds: float = 20) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV arrived in {folder}")
