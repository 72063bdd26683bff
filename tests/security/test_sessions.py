"""Sessions end when they should: at logout, a new password, a disabled user or a new role, and
a saved copy of the cookie ends with them. Cookies are Secure over HTTPS; names are one per
person whatever their case or Unicode form."""
from __future__ import annotations

from datetime import timedelta

import pytest

from registry import users
from tests.api.conftest import bearer
from tests.portal.conftest import PASSWORD
from tests.security.conftest import USERNAMES, signed_in

COOKIE = "session"


def saved_cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def with_cookie(app, value: str):
    """A new browser holding a copy of someone's session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def opens(client, path: str = "/history/") -> bool:
    response = client.get(path)
    return response.status_code == 200


def test_a_cookie_saved_before_logout_opens_nothing_after_it(csrf_app):
    admin = signed_in(csrf_app, "admin")
    saved = saved_cookie(admin)
    assert opens(with_cookie(csrf_app, saved), "/admin/")
    token = admin.get("/admin/users").get_data(as_text=True).split('name="csrf_token" value="')[1]
    assert admin.post("/auth/logout", data={"csrf_token": token.split('"')[0]}).status_code == 302
    copy = with_cookie(csrf_app, saved)
    refused = copy.get("/admin/")
    assert refused.status_code == 302 and "/auth/login" in refused.headers["Location"]
    assert opens(signed_in(csrf_app, "admin"), "/admin/")  # signing in again works


def test_a_new_password_ends_every_session_of_that_user_only(app, tokens):
    analyst, other_analyst_tab = signed_in(app, "analyst"), signed_in(app, "analyst")
    admin = signed_in(app, "admin")
    response = analyst.post("/auth/password", data={"current": PASSWORD,
                                                    "password": "a new long password",
                                                    "again": "a new long password"})
    assert response.status_code == 302
    assert not opens(analyst) and not opens(other_analyst_tab)
    assert opens(admin)  # someone else's sessions go on
    assert signed_in_with(app, "analyst", "a new long password")
    assert not signed_in_with(app, "analyst", PASSWORD)


def test_the_wrong_current_password_changes_nothing(app, tokens):
    analyst = signed_in(app, "analyst")
    response = analyst.post("/auth/password", data={"current": "not it at all",
                                                    "password": "a new long password",
                                                    "again": "a new long password"})
    assert response.status_code == 400
    assert "not your current password" in response.get_data(as_text=True)
    assert opens(analyst) and signed_in_with(app, "analyst", PASSWORD)


def signed_in_with(app, role: str, password: str) -> bool:
    response = app.test_client().post("/auth/login", data={"username": USERNAMES[role],
                                                           "password": password})
    return response.status_code == 302


def user_id(app, role: str) -> int:
    with app.app_context():
        return users.find_user(USERNAMES[role]).id


def test_a_disabled_user_is_signed_out_cannot_sign_in_and_their_token_stops(app, tokens):
    analyst, admin = signed_in(app, "analyst"), signed_in(app, "admin")
    target = user_id(app, "analyst")
    assert admin.post(f"/admin/users/{target}/disable").status_code == 303
    assert not opens(analyst)
    assert not signed_in_with(app, "analyst", PASSWORD)
    api = app.test_client().get("/api/v1/predictions", headers=bearer(tokens["analyst"]))
    assert api.status_code == 401
    assert "(disabled)" in admin.get("/admin/users").get_data(as_text=True)
    assert admin.post(f"/admin/users/{target}/enable").status_code == 303
    assert signed_in_with(app, "analyst", PASSWORD)
    assert app.test_client().get("/api/v1/predictions",
                                 headers=bearer(tokens["analyst"])).status_code == 200


def test_an_admin_reset_and_a_new_role_end_the_users_sessions(app, tokens):
    admin, target = signed_in(app, "admin"), user_id(app, "analyst")
    analyst = signed_in(app, "analyst")
    assert admin.post(f"/admin/users/{target}/password",
                      data={"password": "reset by the admin"}).status_code == 303
    assert not opens(analyst)
    assert signed_in_with(app, "analyst", "reset by the admin")
    analyst = signed_in_with_client(app, "analyst", "reset by the admin")
    assert admin.post(f"/admin/users/{target}/role", data={"role": "admin"}).status_code == 303
    assert not opens(analyst)
    again = signed_in_with_client(app, "analyst", "reset by the admin")
    assert opens(again, "/admin/")  # the new role, from the next sign-in


def signed_in_with_client(app, role: str, password: str):
    client = app.test_client()
    assert client.post("/auth/login", data={"username": USERNAMES[role],
                                            "password": password}).status_code == 302
    return client


def test_the_last_admin_can_be_neither_disabled_nor_demoted(app, tokens):
    admin, target = signed_in(app, "admin"), user_id(app, "admin")
    for path, data in [(f"/admin/users/{target}/disable", None),
                       (f"/admin/users/{target}/role", {"role": "analyst"})]:
        response = admin.post(path, data=data, follow_redirects=True)
        assert "last enabled admin" in response.get_data(as_text=True)
    assert opens(admin, "/admin/")


@pytest.mark.parametrize("base_url, headers, proxies, secure", [
    ("http://localhost", {}, 0, False),
    ("https://localhost", {}, 0, True),
    ("http://localhost", {"X-Forwarded-Proto": "https"}, 1, True),  # TLS ended by the proxy
    ("http://localhost", {"X-Forwarded-Proto": "https"}, 0, False),  # no proxy is trusted
])
def test_the_session_cookie_is_secure_over_https(app, tokens, base_url, headers, proxies,
                                                 secure):
    from tests.conftest import make_app

    served = make_app(app.instance_path, PROXY_COUNT=proxies)
    response = served.test_client().post(
        "/auth/login", base_url=base_url, headers=headers,
        data={"username": USERNAMES["admin"], "password": PASSWORD})
    assert response.status_code == 302
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith(COOKIE))
    assert ("; Secure" in cookie) is secure, cookie


def test_a_sign_in_lasts_hours_not_a_month(app):
    assert app.permanent_session_lifetime == timedelta(hours=12)


@pytest.mark.parametrize("name", ["ADA", "Ada", "\uff41\uff44\uff41"])  # fullwidth "ada"
def test_a_name_is_taken_whatever_its_case_or_unicode_form(app, tokens, name):
    with app.app_context():
        with pytest.raises(users.UserError, match="already exists"):
            users.create_user(name, "long password", "analyst")
        assert users.find_user(name).username == USERNAMES["admin"]


@pytest.mark.parametrize("name", ["eve\u202e", "zero\u200bwidth", "tab\tbed", "new\nline",
                                  "two words", "\x1b[31mred"])
def test_names_with_invisible_or_control_characters_are_refused(app, name):
    with app.app_context():
        with pytest.raises(users.UserError, match="spaces, control or invisible"):
            users.create_user(name, "long password", "analyst")


def test_the_command_line_resets_a_password_and_disables_a_user(app, tokens):
    analyst = signed_in(app, "analyst")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["user", "password", "ann", "--password-stdin"],
                           input="typed on the server\n")
    assert result.exit_code == 0, result.output
    assert not opens(analyst) and signed_in_with(app, "analyst", "typed on the server")
    assert runner.invoke(args=["user", "disable", "ann"]).exit_code == 0
    assert not signed_in_with(app, "analyst", "typed on the server")
    assert runner.invoke(args=["user", "disable", "ann", "--enable"]).exit_code == 0
    assert signed_in_with(app, "analyst", "typed on the server")
    refused = runner.invoke(args=["user", "disable", "ada"])  # the last admin
    assert refused.exit_code != 0 and "last enabled admin" in refused.output
