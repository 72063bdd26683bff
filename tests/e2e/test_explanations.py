"""Explanation bars as people see them: right and warm for raises, left and blue for lowers."""
import pytest
from selenium.webdriver.common.by import By

from tests.e2e.test_story import navigate


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
        elif "lowers" in text:
            assert effect < 0 and "effect-lowers" in row.get_attribute("class")
            assert bar["x"] + bar["width"] <= centre + 1
        else:
            assert "no change" in text
        assert colour in {"rgb(200, 85, 26)", "rgb(47, 107, 216)", "rgb(0, 0, 0)"}
