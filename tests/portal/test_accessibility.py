"""What a screen reader and a keyboard need from the markup, read without a browser: a refused
field says so (aria-invalid), is described by its error message (aria-describedby names ids
that exist) and is where the cursor lands; every page has a skip link and an icon.
(tests/e2e/test_pages.py runs axe-core and checks the focus in a real browser.)"""
from __future__ import annotations

from html.parser import HTMLParser

import pytest


class Elements(HTMLParser):
    """Every element's tag and attributes in document order, and the text inside each id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}

    def __init__(self, page: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []  # the elements the parser is inside
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text[attributes["id"]] = ""

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _, name in self._open:
            if name:
                self.text[name] += data

    def by_id(self, name: str) -> dict[str, str | None] | None:
        return next((a for _, a in self.elements if a.get("id") == name), None)


# Forms sent empty, by whom, and the control that must come first among the refused.
REFUSED = [(None, "/usecases/heart-disease/", "f-age"),
           (None, "/auth/login", "username"),
           ("analyst", "/auth/password", "current")]


@pytest.mark.parametrize("role, path, first", REFUSED)
def test_a_refused_field_is_marked_described_by_its_message_and_focused(
        client, auth, people, role, path, first):
    if role:
        assert auth.login(people[role]).status_code == 302
    page = client.post(path, data={}, follow_redirects=True)
    assert page.status_code == 400
    assert_refusals_marked(Elements(page.get_data(as_text=True)), first)


# Admin pages whose GET forms refuse values, and the control that must come first.
REFUSED_QUERIES = [("/admin/models/heart-disease/compare?a=x&b=99", "a"),
                   ("/admin/models/heart-disease/drift?last=lots&since=soon", "last")]


@pytest.mark.parametrize("path, first", REFUSED_QUERIES)
def test_refused_query_values_are_marked_described_and_focused(as_admin, app, path, first):
    from registry import versions
    from tests.conftest import add_copy_of_production

    with app.app_context():
        if len(versions.list_versions("heart-disease")) < 2:
            add_copy_of_production("heart-disease")
    page = as_admin.get(path)
    assert page.status_code in (400, 422)
    html = Elements(page.get_data(as_text=True))
    assert_refusals_marked(html, first)
    assert len([a for _, a in html.elements if a.get("aria-invalid") == "true"]) == 2


def assert_refusals_marked(html: Elements, first: str) -> None:
    """Every refused control is aria-invalid and described by its error message first; every
    description names ids that exist; the first refused control alone has autofocus."""
    refused = [a for _, a in html.elements if a.get("aria-invalid") == "true"]
    assert refused, "no field is marked aria-invalid"
    for control in [a for _, a in html.elements if a.get("aria-describedby")]:
        described = control["aria-describedby"].split()
        assert all(html.by_id(name) for name in described), (control["id"], described)
    for control in refused:
        described = (control.get("aria-describedby") or "").split()
        assert described, f"{control['id']} names no description"
        error = html.by_id(described[0])
        assert "error" in (error.get("class") or "").split() and html.text[described[0]].strip()
    focused = [a.get("id") for _, a in html.elements if "autofocus" in a]
    assert refused[0]["id"] == first and focused == [first]


def test_every_page_starts_with_a_skip_link_to_the_main_content_and_has_an_icon(client):
    html = Elements(client.get("/").get_data(as_text=True))
    body = [element for element in html.elements if element[0] != "html"]
    first_link = next(a for tag, a in body if tag == "a")
    target = html.by_id(first_link["href"].removeprefix("#"))
    assert first_link["href"].startswith("#") and target is not None
    assert [tag for tag, a in html.elements if a is target] == ["main"]
    icon = next(a for tag, a in html.elements if tag == "link" and a.get("rel") == "icon")
    with client.get(icon["href"]) as answer:  # a static file: closed, or its file stays open
        assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
