"""The movie picker in a real browser: a combobox whose suggestions the arrow keys move through,
a rating beside each chosen movie (stored as the API's ratings), and a result list that follows
the match it shows."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from registry import predictions
from tests.e2e.test_story import navigate

FORM = "/usecases/recommendation/"


def options(browser) -> list:
    return browser.find_elements(By.CSS_SELECTOR, ".picker-suggestions [role=option]")


def search_for(browser, text: str, found: int = 1):
    """Type `text` in the search box and wait for at least `found` titles."""
    search = browser.find_element(By.CSS_SELECTOR, ".picker-search")
    search.clear()
    search.send_keys(text)
    WebDriverWait(browser, 10).until(lambda b: len(options(b)) >= found)
    return search


def active(browser, search) -> str:
    """The text of the option the combobox says is active, checked against aria-selected."""
    option_id = search.get_attribute("aria-activedescendant")
    selected = [o for o in options(browser) if o.get_attribute("aria-selected") == "true"]
    assert [o.get_attribute("id") for o in selected] == [option_id]
    return selected[0].text


def chips(browser) -> list[str]:
    return [c.find_element(By.CSS_SELECTOR, ".chip-title").text
            for c in browser.find_elements(By.CSS_SELECTOR, ".picker-chosen .chip")]


def test_the_arrow_keys_move_through_the_titles_and_enter_picks_one(live_portal, browser):
    _, base = live_portal
    browser.get(base + FORM)
    search = search_for(browser, "star wars", found=3)
    assert search.get_attribute("role") == "combobox"
    assert search.get_attribute("aria-expanded") == "true"
    listbox = browser.find_element(By.ID, search.get_attribute("aria-controls"))
    assert listbox.get_attribute("role") == "listbox"
    titles = [o.text for o in options(browser)]
    search.send_keys(Keys.ARROW_DOWN)
    assert active(browser, search) == titles[0]
    search.send_keys(Keys.ARROW_DOWN)
    assert active(browser, search) == titles[1]
    search.send_keys(Keys.ARROW_UP)
    search.send_keys(Keys.ARROW_UP)  # past the first: round to the last
    assert active(browser, search) == titles[-1]
    search.send_keys(Keys.ARROW_DOWN)  # and on to the first again
    search.send_keys(Keys.ARROW_DOWN)
    search.send_keys(Keys.ENTER)
    assert chips(browser) == [titles[1]]
    assert search.get_attribute("aria-expanded") == "false" and not options(browser)
    assert browser.current_url == base + FORM, "Enter picked a title, it did not submit"
    search_for(browser, "toy story").send_keys(Keys.ESCAPE)
    assert not options(browser) and chips(browser) == [titles[1]]


def test_each_chosen_movie_has_its_own_rating_stored_with_the_prediction(live_portal, browser):
    app, base = live_portal
    browser.get(base + FORM)
    ratings = browser.find_element(By.NAME, "ratings")
    assert not ratings.is_displayed(), "the typed ratings give way to one control per movie"
    search_for(browser, "toy story").send_keys(Keys.ENTER)
    search_for(browser, "godfather").send_keys(Keys.ENTER)
    search_for(browser, "fargo").send_keys(Keys.ENTER)
    picked = chips(browser)
    assert len(picked) == 3
    stars = browser.find_elements(By.CSS_SELECTOR, ".picker-chosen select.chip-stars")
    assert [s.accessible_name for s in stars] == [f"Your rating of {t}" for t in picked]
    Select(stars[0]).select_by_value("5")
    Select(stars[2]).select_by_value("2.5")
    assert ratings.get_attribute("value") == "5, 4, 2.5"
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    movies = browser.find_element(By.NAME, "movies").get_attribute("value").split()
    with app.app_context():
        stored = predictions.recent("recommendation", limit=1)[0]
    assert stored.inputs["ratings"] == "5, 4, 2.5"
    assert [str(m) for m in stored.inputs["movies"]] == movies
    # The result page's form starts from the stored ratings, each beside its own movie.
    WebDriverWait(browser, 10).until(lambda b: len(chips(b)) == 3)
    assert chips(browser) == picked
    again = browser.find_elements(By.CSS_SELECTOR, ".picker-chosen select.chip-stars")
    # (a movie left at "liked" was stored as the 4 stars it counts as)
    assert [Select(s).first_selected_option.get_attribute("value") for s in again] == \
        ["5", "4", "2.5"]


def test_the_list_follows_the_match_it_shows(live_portal, browser):
    _, base = live_portal
    browser.get(base + FORM)
    search_for(browser, "star wars").send_keys(Keys.ENTER)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    meters = browser.find_elements(By.CSS_SELECTOR, ".recommendations li meter[max='1']")
    shares = [float(m.get_attribute("value")) for m in meters]
    assert len(shares) == 10 and shares[0] == 1.0
    assert shares == sorted(shares, reverse=True)


def test_enter_while_a_search_is_on_its_way_picks_nothing_old(live_portal, browser):
    """Titles found for earlier text are not picked once the text has changed, and a list
    closed with Escape does not come back when a late answer arrives."""
    _, base = live_portal
    browser.get(base + FORM)
    search = search_for(browser, "star wars", found=3)
    search.send_keys(": episode v - the", Keys.ENTER)  # at once: the answer for the new text is due
    assert chips(browser) == []
    WebDriverWait(browser, 10).until(lambda b: len(options(b)) >= 1)
    assert all("Empire" in o.text for o in options(browser))
    search.send_keys(Keys.ENTER)
    assert len(chips(browser)) == 1 and "Empire" in chips(browser)[0]
    search.send_keys("toy")
    search.send_keys("s", Keys.ESCAPE)  # closed before its answer comes
    browser.execute_script("return new Promise(r => setTimeout(r, 800))")
    assert not options(browser) and search.get_attribute("aria-expanded") == "false"


def test_every_chosen_movie_comes_back_with_its_rating_however_many(live_portal, browser):
    """More movies than a search shows (the form takes up to 50): after the page comes back,
    each is still chosen, in order, with its own rating."""
    app, base = live_portal
    with app.app_context():
        from registry import serving
        _, model = serving.production_model("recommendation")
    ids = [item["id"] for item in model.search("the", 60)][:25]
    assert len(ids) == 25
    stars = ["5", "4.5", "4", "3.5", "3"] * 5
    browser.get(base + FORM)
    browser.execute_script(
        "document.querySelector('input[name=movies]').value = arguments[0];"
        "document.querySelector('[name=ratings]').value = arguments[1];",
        " ".join(map(str, ids)), ", ".join(stars))
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    WebDriverWait(browser, 10).until(lambda b: len(chips(b)) == 25)
    assert browser.find_element(By.NAME, "movies").get_attribute("value").split() == \
        list(map(str, ids))
    assert browser.find_element(By.NAME, "ratings").get_attribute("value") == ", ".join(stars)


def test_a_refused_pick_focuses_the_search_box(live_portal, browser):
    _, base = live_portal
    browser.get(base + FORM)
    navigate(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert "needs at least one movie" in browser.page_source
    focused = browser.switch_to.active_element
    assert "picker-search" in focused.get_attribute("class")
    described = focused.get_attribute("aria-describedby").split()
    assert browser.find_element(By.ID, described[0]).text.startswith("Movies you like")
    assert focused.get_attribute("aria-invalid") == "true"
