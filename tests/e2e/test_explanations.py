"""Explanation bars as people see them: right and warm for raises, left and blue for lowers."""
import pytest
from selenium.webdriver.common.by import By

from registry.database import db
from registry.models import Prediction
from tests.e2e.references import assert_looks_like
from tests.e2e.test_story import navigate


# The one colour meaning of every page: warm for raises, blue for lowers (style.css).
RAISES, LOWERS = "rgb(200, 85, 26)", "rgb(47, 107, 216)"


@pytest.mark.parametrize("link", ["Heart disease", "Student math score"])
def test_each_bar_points_the_way_its_effect_goes(live_portal, browser, link):
    _, base = live_portal
    browser.get(base + "/")
    navigate(browser, browser.find_element(By.LINK_TEXT, link))
    navigate(browser, browser.find_elements(By.CSS_SELECTOR, ".examples a")[0])
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    rows = browser.find_elements(By.CSS_SELECTOR, ".explanation li")
    assert rows
    for row in rows:
        effect = float(row.get_attribute("data-effect"))
        bar = row.find_element(By.CSS_SELECTOR, ".effect-bar rect").rect
        centre = row.find_element(By.CSS_SELECTOR, ".effect-bar line").rect["x"]
        text = row.find_element(By.CSS_SELECTOR, ".effect").text
        colour = row.find_element(By.CSS_SELECTOR, ".effect-bar rect").value_of_css_property("fill")
        if "raises" in text:
            assert effect > 0 and "effect-raises" in row.get_attribute("class")
            assert bar["x"] >= centre - 1
            assert colour == RAISES, f"a bar that raises is drawn {colour}"
        elif "lowers" in text:
            assert effect < 0 and "effect-lowers" in row.get_attribute("class")
            assert bar["x"] + bar["width"] <= centre + 1
            assert colour == LOWERS, f"a bar that lowers is drawn {colour}"
        else:
            assert "no change" in text


# The result pages whose explanation bars are compared with the API, and the page's scale of an
# effect (heart disease shows percentage points) and the figure under the headline.
RESULTS = {"Heart disease": ("heart-disease", 100), "Student math score": ("student-score", 1)}


def submit_first_example(browser, base: str, link: str) -> None:
    browser.get(base + "/")
    navigate(browser, browser.find_element(By.LINK_TEXT, link))
    navigate(browser, browser.find_elements(By.CSS_SELECTOR, ".examples a")[0])
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def api_answer(app, name: str, prediction_id: int) -> dict:
    """What the JSON API says for the inputs the page's prediction was stored with."""
    with app.app_context():
        inputs = db.session.get(Prediction, prediction_id).inputs
    answer = app.test_client().post(f"/api/v1/usecases/{name}/predict",
                                    json={"inputs": {k: v for k, v in inputs.items()
                                                     if v is not None}})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.get_json()


@pytest.mark.parametrize("link", sorted(RESULTS))
def test_the_result_page_shows_what_the_api_says(live_portal, browser, link):
    """The headline (announced to screen readers), the figure, the version and every bar's
    size and direction, as rendered, agree with the JSON API's answer for the same inputs."""
    app, base = live_portal
    name, scale = RESULTS[link]
    submit_first_example(browser, base, link)
    made_by = browser.find_element(By.CSS_SELECTOR, ".result .made-by")
    answer = api_answer(app, name, int(made_by.get_attribute("data-prediction")))
    result = answer["prediction"]["result"]

    headline = browser.find_element(By.ID, "result-headline")
    assert headline.get_attribute("role") == "status" and headline.is_displayed()
    assert headline.text == result["summary"]
    section = browser.find_element(By.CSS_SELECTOR, "section.result")
    assert section.get_attribute("aria-labelledby") == "result-headline"
    assert made_by.text.startswith(f"Made by model version {answer['version']} ")
    figure = browser.find_element(By.CSS_SELECTOR, ".result .big").text
    if name == "heart-disease":
        assert figure == f"{result['probability'] * 100:.0f}%"
    else:
        assert figure == f"{result['output']:.0f}"

    rows = browser.find_elements(By.CSS_SELECTOR, ".explanation li")
    expected = result["explanation"]
    assert len(rows) == len(expected)
    for row, item in zip(rows, expected):
        effect = float(row.get_attribute("data-effect"))
        assert effect == pytest.approx(item["effect"]), (row.text, item)
        shown = item["effect"] * scale
        direction = "raises" if shown > 0.05 else "lowers" if shown < -0.05 else "none"
        assert row.get_attribute("class") == f"effect-{direction}", (row.text, item)
        said = row.find_element(By.CSS_SELECTOR, ".effect").text
        if direction != "none":
            assert said.startswith(direction) and f"{abs(shown):.1f}" in said, (said, item)


@pytest.mark.parametrize("link", sorted(RESULTS))
def test_the_explanation_looks_as_reviewed(live_portal, browser, link):
    """The bars as drawn: a reviewed screenshot of the first example's explanation."""
    _, base = live_portal
    browser.set_window_size(1280, 2400)  # tall enough for the whole list to be drawn
    try:
        submit_first_example(browser, base, link)
        assert_looks_like(browser.find_element(By.CSS_SELECTOR, ".result .explanation"),
                          f"{RESULTS[link][0]}-explanation")
    finally:
        browser.set_window_size(1280, 900)
