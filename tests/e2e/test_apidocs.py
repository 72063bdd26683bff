"""The API page in a real browser: a visitor sends an endpoint's example from the page, and the
answer is the API's own (stored, with its id); a token-only endpoint without a token is refused."""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from registry import history


def send(browser, anchor: str) -> tuple[str, str]:
    """Press the "Try it" form's button in the endpoint's section; its status line and answer."""
    form = browser.find_element(By.CSS_SELECTOR, f'section[id="{anchor}"] form.try')
    assert form.is_displayed(), "the form is shown once the page's script runs"
    status = form.find_element(By.CSS_SELECTOR, "[data-try-status]")
    browser.execute_script("arguments[0].scrollIntoView()", form)
    form.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(browser, 20).until(lambda _: status.text[:1].isdigit())
    answer = form.find_element(By.CSS_SELECTOR, "[data-try-answer]")
    return status.text, answer.get_attribute("textContent")


def test_a_visitor_tries_a_prediction_from_the_api_page(live_portal, browser):
    app, base = live_portal
    browser.get(base + "/api/docs")
    status, text = send(browser, "predict_heart-disease")
    assert status.startswith("200")
    answer = json.loads(text)
    stored_id = answer["prediction"]["id"]
    with app.app_context():
        stored = history.get_prediction(stored_id)
    assert stored is not None and stored.usecase == "heart-disease"
    assert stored.version == answer["version"]
    assert 0 <= answer["prediction"]["result"]["probability"] <= 1


def test_a_changed_body_gets_the_apis_field_errors(live_portal, browser):
    _, base = live_portal
    browser.get(base + "/api/docs")
    body = browser.find_element(By.CSS_SELECTOR,
                                'section[id="predict_heart-disease"] textarea[name="body"]')
    body.clear()
    body.send_keys(json.dumps({"inputs": {"age": 300}}))
    status, text = send(browser, "predict_heart-disease")
    assert status.startswith("422")
    assert "age" in json.loads(text)["error"]["fields"]


def test_an_admins_change_is_named_by_the_person_and_asked_for(live_portal, browser):
    """A changing endpoint's form is not filled in with example ids, and asks before sending."""
    _, base = live_portal
    browser.get(base + "/api/docs")
    form = browser.find_element(By.CSS_SELECTOR, 'section[id="train"] form.try')
    target = form.find_element(By.NAME, "target")
    assert target.get_attribute("value") == "/api/v1/usecases/{name}/train"
    browser.execute_script("arguments[0].scrollIntoView()", form)
    button = form.find_element(By.TAG_NAME, "button")
    status = form.find_element(By.CSS_SELECTOR, "[data-try-status]")
    button.click()
    assert status.text == "Fill in the address's {…} parts first."
    target.clear()
    target.send_keys("/api/v1/usecases/heart-disease/train")
    button.click()
    alert = WebDriverWait(browser, 5).until(lambda b: b.switch_to.alert)
    assert "This changes the portal" in alert.text
    alert.dismiss()
    assert status.text == "Not sent."
    button.click()
    WebDriverWait(browser, 5).until(lambda b: b.switch_to.alert).accept()
    WebDriverWait(browser, 20).until(lambda _: status.text[:1].isdigit())
    assert status.text.startswith("401"), "without a token the API refuses it"
