"""A user's story in a real browser: a visitor, an admin and an analyst use the portal."""
import csv
import io
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from registry import datasets, outcomes, predictions, serving, table_usecases, versions
from registry.monitoring import challenger
from tests.e2e.conftest import screenshot
from tests.conftest import add_copy_of_production
from tests.labelled import as_csv, new_patients
from tests.tables import as_csv as table_csv, student_performance


def navigate(browser, element) -> None:
    """Click something that loads a new page, and wait until that page has replaced this one:
    an element found before then may belong to the old page and go stale under the test."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    # While the old document goes, Chromium may answer "node does not belong to the document"
    # instead of "stale": ask again until it says stale.
    WebDriverWait(browser, 60, ignored_exceptions=[WebDriverException]).until(
        expected_conditions.staleness_of(page))


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
        lambda b: b.find_elements(By.CSS_SELECTOR, ".picker-suggestions [role=option]"))
    browser.find_elements(By.CSS_SELECTOR, ".picker-suggestions [role=option]")[0].click()
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


def test_an_admin_uploads_data_retrains_on_it_and_promotes(live_portal, browser, people,
                                                          tmp_path):
    app, base = live_portal
    patients = new_patients(app, 150, seed=23)
    refused = [dict(patients[0], age=200), dict(patients[1], diagnosis="maybe")]
    upload = tmp_path / "new-patients.csv"
    upload.write_bytes(as_csv(patients + refused))

    log_in(browser, base, *people["admin"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "Models"))
    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Heart disease"))
    navigate(browser, browser.find_element(By.LINK_TEXT, "Training data"))
    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Upload labelled rows"))
    browser.find_element(By.NAME, "file").send_keys(str(upload))
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Check the file']"))

    # The report: what would be stored, and each refused row by line (the header is line 1)
    # and column. Nothing is stored yet.
    def count(name):
        return browser.find_element(By.CSS_SELECTOR, f"[data-count={name}]").text
    assert (count("rows"), count("accepted"), count("refused")) == ("152", "150", "2")
    refusals = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table.refusals tbody tr")]
    assert [r.split()[:2] for r in refusals] == [["152", "age"], ["153", "diagnosis"]]
    assert browser.find_elements(By.CSS_SELECTOR, "table.difference")
    screenshot(browser, "admin-upload-report")
    with app.app_context():
        assert [row.version for row in datasets.list_versions("heart-disease")] == [1]

    navigate(browser, browser.find_element(By.XPATH, "//button[starts-with(text(), 'Store the 150')]"))
    assert "stored dataset version 2" in browser.find_element(By.TAG_NAME, "main").text
    with app.app_context():
        stored = datasets.get("heart-disease", 2)
        assert stored.sources == ["upload"] and stored.rows + stored.held_out_rows == 150

    # Train on the built-in data (ticked already) and the upload.
    navigate(browser, browser.find_element(By.LINK_TEXT, "Back to the versions"))
    choices = browser.find_elements(By.CSS_SELECTOR, "fieldset.choices input[type=checkbox]")
    labels = {box.get_attribute("id"): browser.find_element(
        By.CSS_SELECTOR, f"label[for='{box.get_attribute('id')}']").text for box in choices}
    built_in, uploaded = (next(box for box in choices if word in labels[box.get_attribute("id")])
                          for word in ("built-in", "new-patients.csv"))
    assert built_in.is_selected() and not uploaded.is_selected()
    uploaded.click()
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Train a new version']"))

    # The job page updates itself (admin.js polls) until the training process is done, then
    # reloads so the server shows the outcome: wait for that page, not for the polled text.
    WebDriverWait(browser, 180, poll_frequency=0.5,
                  ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "succeeded" in b.find_element(
            By.CSS_SELECTOR, ".job[data-job-finished='true']").text)
    screenshot(browser, "admin-job-finished")
    assert browser.find_element(By.CSS_SELECTOR, "progress").get_attribute("value") in ("1", "1.0")

    # Compare with production: other data, measured on the same held-out rows.
    navigate(browser, browser.find_element(By.LINK_TEXT, "back to the versions"))
    navigate(browser, browser.find_element(By.LINK_TEXT, "Compare two versions"))
    data = browser.find_element(By.CSS_SELECTOR, "table.compare-data").text
    assert "different data" in data and "the same rows" in data
    assert "v1 · built-in" in data and "upload" in data
    assert not browser.find_elements(By.CSS_SELECTOR, ".held-out-warning")
    screenshot(browser, "admin-compare-data")

    navigate(browser, browser.find_element(By.LINK_TEXT, "Back to the versions"))
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "tr#v2 a.button"))
    browser.find_element(By.NAME, "reason").send_keys("more patients, same held-out rows")
    navigate(browser, browser.find_element(By.XPATH,
                                          "//button[starts-with(text(), 'Promote v2')]"))
    assert "v2" in browser.find_element(By.TAG_NAME, "main").text
    with app.app_context():
        live = versions.production_version("heart-disease")
        first = versions.get_version("heart-disease", 1)
        assert live.version == 2
        assert versions.promotions("heart-disease")[0].reason == "more patients, same held-out rows"
        trained_on = datasets.get_by_id("heart-disease", live.dataset_version_id)
        assert set(trained_on.sources) == {"built-in", "upload"}
        assert trained_on.fingerprint != first.data_fingerprint
        assert (live.params["evaluation"]["held_out"]
                == first.params["evaluation"]["held_out"])
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
    log_out(browser)


def test_an_analyst_records_outcomes_and_filters_by_them(live_portal, browser, people):
    app, base = live_portal
    with app.app_context():  # three more patients seen, by the API
        for patient in new_patients(app, 3, seed=29):
            serving.predict("heart-disease", [{k: v for k, v in patient.items()
                                               if k != "diagnosis"}], source="api")
    log_in(browser, base, *people["analyst"])

    def heart_disease_history():
        navigate(browser, browser.find_element(By.LINK_TEXT, "History"))
        Select(browser.find_element(By.NAME, "usecase")).select_by_value("heart-disease")
        navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show']"))
        return browser.find_elements(By.CSS_SELECTOR, "table.history td.outcome a")

    def record(index, value, button):
        navigate(browser, heart_disease_history()[index])
        Select(browser.find_element(By.NAME, "diagnosis")).select_by_value(value)
        navigate(browser, browser.find_element(By.XPATH, f"//button[text()='{button}']"))
        assert browser.find_element(By.CSS_SELECTOR, ".current-outcome strong").text == value
        return int(browser.current_url.rsplit("/", 1)[-1])

    assert len(heart_disease_history()) >= 4
    # Record two outcomes, then correct the first: its page keeps both values.
    first = record(0, "no disease", "Record the outcome")
    second = record(1, "no disease", "Record the outcome")
    assert record(0, "disease", "Correct the outcome") == first
    trail = [row.text.split()[0] for row in
             browser.find_elements(By.CSS_SELECTOR, "table.trail tbody tr")]
    assert trail == ["disease", "no"]  # newest first: "disease", then "no disease"
    screenshot(browser, "analyst-outcome")

    heart_disease_history()
    for outcome, expected in (("recorded", {first, second}), ("disease", {first}),
                              ("no disease", {second})):
        Select(browser.find_element(By.NAME, "outcome")).select_by_value(outcome)
        navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show']"))
        links = browser.find_elements(By.CSS_SELECTOR, "table.history td.outcome a")
        assert {int(a.get_attribute("href").rsplit("/", 1)[-1]) for a in links} == expected
    screenshot(browser, "history-by-outcome")
    with app.app_context():
        assert outcomes.current_values([first, second]) == {first: "disease",
                                                            second: "no disease"}
    log_out(browser)


def test_an_admin_makes_a_use_case_from_a_table_and_visitors_use_it(live_portal, browser, people,
                                                                   tmp_path):
    app, base = live_portal
    table = tmp_path / "students.csv"
    table.write_bytes(table_csv(student_performance(300)))

    # The admin sends the table.
    log_in(browser, base, *people["admin"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "Models"))
    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Make a use case from a table"))
    browser.find_element(By.NAME, "file").send_keys(str(table))
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Read the table']"))

    # The proposal: predict the math score, a number, so a regression.
    assert "students.csv" in browser.find_element(By.CSS_SELECTOR, "p.lead").text
    Select(browser.find_element(By.NAME, "target")).select_by_value("math score")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Propose again']"))
    assert Select(browser.find_element(By.NAME, "target")).first_selected_option \
        .get_attribute("value") == "math score"
    summary = browser.find_element(By.CSS_SELECTOR, ".proposal-summary").text
    assert "regression" in summary and "math score" in summary and "300 rows" in summary
    assert not browser.find_elements(By.CSS_SELECTOR, "form.proposal .error")
    # "writing score", the first proposal's target, had no box: it is offered now, ticked.
    assert browser.find_element(By.CSS_SELECTOR,
                                "input[name=use][value='writing score']").is_selected()

    # Leave race/ethnicity out, rename reading score, name the use case, create it.
    race = browser.find_element(By.CSS_SELECTOR, "input[name=use][value='race/ethnicity']")
    assert race.is_selected()
    race.click()
    label = browser.find_element(By.NAME, "label-reading_score")
    label.clear()
    label.send_keys("Reading test score")
    for field, value in (("name", "exam-scores"), ("title", "Exam scores")):
        box = browser.find_element(By.NAME, field)
        box.clear()
        box.send_keys(value)
    screenshot(browser, "admin-table-proposal")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Create and train']"))
    assert "Exam scores" in browser.find_element(By.TAG_NAME, "h1").text

    # The job page updates itself until the first version is trained; then promote it.
    WebDriverWait(browser, 180, poll_frequency=0.5,
                  ignored_exceptions=[StaleElementReferenceException]).until(
        lambda b: "succeeded" in b.find_element(
            By.CSS_SELECTOR, ".job[data-job-finished='true']").text)
    screenshot(browser, "admin-table-job-finished")
    browser.find_element(By.NAME, "reason").send_keys("made from the exam table")
    navigate(browser, browser.find_element(By.XPATH,
                                          "//button[starts-with(text(), 'Promote v1')]"))
    assert "v1" in browser.find_element(By.TAG_NAME, "main").text
    with app.app_context():
        made = table_usecases.get("exam-scores")
        assert made.title == "Exam scores" and made.enabled
        live = versions.production_version("exam-scores")
        assert live is not None and live.version == 1
        assert versions.promotions("exam-scores")[0].reason == "made from the exam table"
        schema = {field["name"]: field for field in live.input_schema}
        assert schema["reading_score"]["label"] == "Reading test score"
        assert "race_ethnicity" not in schema and "math_score" not in schema
        assert "writing_score" in schema
    log_out(browser)

    # A visitor finds it on the home page and gets a prediction.
    browser.get(base + "/")
    navigate(browser, browser.find_element(By.LINK_TEXT, "Exam scores"))
    labels = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "form label")]
    assert any(text.startswith("Reading test score") for text in labels)
    assert not any("race" in text.lower() for text in labels)
    assert not browser.find_elements(By.NAME, "race_ethnicity")
    navigate(browser, browser.find_elements(By.CSS_SELECTOR, ".examples a")[0])
    assert browser.find_element(By.NAME, "reading_score").get_attribute("value") != ""
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    result = browser.find_element(By.CSS_SELECTOR, ".result")
    assert result.find_element(By.CSS_SELECTOR, ".summary").text.startswith("Math score")
    assert "What moved the prediction" in result.text
    assert result.find_elements(By.CSS_SELECTOR, "ul.explanation li")
    assert "Made by model version 1" in result.text
    screenshot(browser, "result-exam-scores")
    with app.app_context():
        made = predictions.recent("exam-scores")
        assert len(made) == 1 and made[0].source == "form"
        visitor = made[0].id

    # The analyst finds the visitor's prediction in the history.
    log_in(browser, base, *people["analyst"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "History"))
    Select(browser.find_element(By.NAME, "usecase")).select_by_value("exam-scores")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Show']"))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    assert len(rows) == 1
    cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")]
    assert cells[0] == str(visitor) and "Exam scores" in cells and "form" in cells
    assert "Math score" in rows[0].text
    screenshot(browser, "history-exam-scores")
    log_out(browser)


def wait_for_download(folder: Path, seconds: float = 20) -> Path:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.csv")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV arrived in {folder}")


def test_an_admin_names_a_challenger_reads_its_page_and_promotes_through_the_gate(
        live_portal, browser, people):
    app, base = live_portal
    name = "student-score"
    with app.app_context():
        candidate = add_copy_of_production(name)

    log_in(browser, base, *people["admin"])
    navigate(browser, browser.find_element(By.LINK_TEXT, "Models"))
    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Student"))
    navigate(browser, browser.find_element(By.LINK_TEXT, "Challenger"))
    least = browser.find_element(By.NAME, "min_labelled")
    least.clear()
    least.send_keys("20")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Set a policy']"))
    Select(browser.find_element(By.NAME, "version")).select_by_value(str(candidate))
    share = browser.find_element(By.NAME, "share")
    share.clear()
    share.send_keys("1")
    navigate(browser, browser.find_element(By.XPATH, "//button[text()='Start']"))
    assert f"v{candidate} scores 100% of live predictions" in browser.find_element(
        By.TAG_NAME, "main").text

    # Visitors' predictions, each also scored by the challenger after its answer; then the
    # true scores of 25 of them come in.
    with app.app_context():
        usecase = app.extensions["modelhub.usecases"][name]
        made = serving.predict(name, [dict(v) for v in usecase.examples.values()] * 10,
                               source="api")
        assert challenger.shadow().drain()
        outcomes.record_many([(i, r["output"] + (7 if n % 2 else -9)) for n, (i, r) in
                              enumerate(zip(made.prediction_ids[:25], made.results))], "ann")

    browser.refresh()
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "100.0% agreement" in main and "25 of them have a recorded outcome" in main
    assert browser.find_elements(By.CSS_SELECTOR, "table.live-pair tr.primary")
    screenshot(browser, "admin-challenger")

    navigate(browser, browser.find_element(By.PARTIAL_LINK_TEXT, f"Promote v{candidate}"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Met: 25 labelled predictions scored by both versions" in main
    assert "The policy is met." in main
    assert not browser.find_elements(By.NAME, "override")
    screenshot(browser, "admin-promote-gate")
    browser.find_element(By.NAME, "reason").send_keys("the challenger held up on live traffic")
    navigate(browser, browser.find_element(By.XPATH,
                                          f"//button[starts-with(text(), 'Promote v{candidate}')]"))
    with app.app_context():
        assert versions.production_version(name).version == candidate
        record = versions.promotions(name)[0]
        assert record.against_policy is False and record.gate["passes"] is True
        assert challenger.get(name) is None
    log_out(browser)


def test_an_admin_copies_a_new_token_with_one_click(live_portal, browser, people):
    _, base = live_portal
    log_in(browser, base, *people["admin"])
    browser.get(base + "/admin/users")
    buttons = browser.find_elements(By.XPATH, "//button[normalize-space()='Issue token' or "
                                              "normalize-space()='Replace token']")
    navigate(browser, buttons[0])
    token = browser.find_element(By.ID, "issued-token").text
    assert token.startswith("mh_")
    copy = browser.find_element(By.CSS_SELECTOR, 'button[data-copy="issued-token"]')
    assert copy.is_displayed()  # loopback is a secure context: the clipboard is offered
    # As a person's browser does when they allow it (headless Chromium asks nobody).
    browser.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": base, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    copy.click()
    status = browser.find_element(By.CSS_SELECTOR, '[data-copy-status="issued-token"]')
    WebDriverWait(browser, 10).until(lambda _: status.text)
    assert status.text == "Copied."
    copied = browser.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], e => arguments[0]('failed: ' + e));")
    assert copied == token
    log_out(browser)
