"""Signing in and out: the login form, safe redirects, failures, CSRF and the session cookie."""
import pytest

from tests.conftest import make_app
from tests.portal.conftest import ADMIN, ANALYST, PASSWORD, csrf_token_in


def test_login_page_shows_the_form(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page and 'type="password"' in page


@pytest.mark.parametrize(("username", "landing"), [(ADMIN, "/admin/"), (ANALYST, "/history/")])
def test_login_goes_to_the_role_s_landing_page(auth, client, username, landing):
    response = auth.login(username)
    assert response.status_code == 302 and response.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_login_returns_to_the_page_asked_for(auth, client):
    asked = client.get("/history/?source=form")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert login_url.startswith("/auth/login?next=")
    response = client.post(login_url, data={"username": ANALYST, "password": PASSWORD})
    assert response.headers["Location"] == "/history/?source=form"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil"])
def test_login_never_redirects_off_site(auth, client, target):
    response = client.post("/auth/login", query_string={"next": target},
                           data={"username": ADMIN, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


@pytest.mark.parametrize(("username", "password"), [
    (ADMIN, "not-her-secret-9"), ("nobody", PASSWORD), (ANALYST, PASSWORD + "x")])
def test_failed_login_is_401_with_a_message_and_signs_nobody_in(auth, client, username, password):
    response = auth.login(username, password)
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Unknown username or wrong password." in page and f'value="{username}"' in page
    assert password not in page  # a password is never sent back
    assert client.get("/history/").status_code == 302


def test_a_name_with_a_nul_is_unknown_not_an_error(auth):
    """PostgreSQL's text cannot hold a NUL: such a name fails like any unknown one."""
    assert auth.login(ADMIN + "\x00").status_code == 401


def test_empty_login_form_names_the_missing_fields(auth):
    response = auth.login("", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and page.count("This field is required.") == 2


def test_logout_signs_out(auth, client):
    auth.login(ANALYST)
    assert client.get("/history/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/history/").status_code == 302
    assert "You are signed out." in client.get("/").get_data(as_text=True)


def test_logout_is_a_post_only(auth, client):
    auth.login(ADMIN)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(("username", "shown", "hidden"), [
    (None, ["Log in"], ["/admin/", "/history/", "Log out"]),
    (ANALYST, ["/history/", f"Log out {ANALYST}"], ["/admin/", "/admin/users"]),
    (ADMIN, ["/admin/", "/admin/users", "/history/", f"Log out {ADMIN}"], [">Log in<"]),
])
def test_the_nav_shows_what_the_role_may_open(auth, client, username, shown, hidden):
    if username:
        auth.login(username)
    nav = client.get("/").get_data(as_text=True).split("<nav>")[1].split("</nav>")[0]
    assert all(link in nav for link in shown) and not any(link in nav for link in hidden)


def test_the_session_cookie_is_http_only_and_same_site(auth):
    cookie = auth.login(ADMIN).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_signed_in_visit_to_the_login_page_goes_on(auth, client):
    auth.login(ANALYST)
    assert client.get("/auth/login").headers["Location"] == "/history/"


def test_csrf_is_enforced_on_login_and_logout(app, people):
    protected = make_app(app.instance_path, WTF_CSRF_ENABLED=True).test_client()
    refused = protected.post("/auth/login", data={"username": ADMIN, "password": PASSWORD})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    token = csrf_token_in(protected.get("/auth/login").get_data(as_text=True))
    response = protected.post("/auth/login", data={"username": ADMIN, "password": PASSWORD,
                                                   "csrf_token": token})
    assert response.status_code == 302
    assert protected.post("/auth/logout").status_code == 400
    assert protected.get("/admin/").status_code == 200
