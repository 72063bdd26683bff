"""A real portal on loopback and a real headless Chromium (Debian's) driving it."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import copy_instance, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts/screenshots"))
# The widths every page is checked and photographed at: a common laptop's, and a phone's.
DESKTOP, PHONE = 1366, 390


@pytest.fixture(scope="module")
def live_portal(trained_instance, tmp_path_factory):
    """The portal served by a real HTTP server in a thread, on its own copy of the instance."""
    folder = copy_instance(trained_instance, tmp_path_factory.mktemp("e2e") / "instance")
    app = make_app(folder, WTF_CSRF_ENABLED=True, TESTING=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


DOWNLOADS_NAME = "chromium-downloads"


@pytest.fixture(scope="module")
def people(live_portal):
    """An admin and an analyst who can sign in to the live portal."""
    from registry import users

    app, _ = live_portal
    with app.app_context():
        users.create_user("ada", "ada-password", "admin")
        users.create_user("alan", "alan-password", "analyst")
    return {"admin": ("ada", "ada-password"), "analyst": ("alan", "alan-password")}


@pytest.fixture(scope="module")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp(DOWNLOADS_NAME)


@pytest.fixture(scope="module")
def browser(tmp_path_factory, downloads):
    """Headless Chromium through Selenium, with Debian's chromedriver: nothing is downloaded."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Debian's chromium and chromium-driver are required (.ci/run installs them)")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def screenshot(driver, name: str, width: int = DESKTOP) -> Path:
    """Save the whole page, laid out `width` CSS pixels wide, as SCREENSHOTS/<name>.png (a name
    may hold folders); the window gets its size back afterwards."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    before = driver.get_window_size()
    driver.set_window_size(width, 900)  # the height of the page at this width
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(900, min(height, 4000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(before["width"], before["height"])
    return path
