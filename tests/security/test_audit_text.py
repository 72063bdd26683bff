"""A promotion's reason is shown as it was typed: control, invisible and direction characters
are written out as code points in the audit trail, the model card and its README, never left to
act on the page (U+202E would turn "for testing" around; U+200B hides between letters)."""
from __future__ import annotations

import pytest

from portal.visible import marked, plain
from registry import versions
from tests.conftest import add_copy_of_production
from tests.security.conftest import signed_in

NAME = "heart-disease"
# Reads "approved" followed by "for testing" reversed, with a zero-width space, an escape
# sequence and a line break hidden in it.
REASON = "approved\u202egnitset rof\u200b\x1b[31m done\nsecond line"
HIDDEN = ("\u202e", "\u200b", "\x1b", "\n")
SHOWN = ("U+202E", "U+200B", "U+001B", "U+000A")


@pytest.fixture
def promoted(app, tokens) -> int:
    with app.app_context():
        number = add_copy_of_production(NAME)
        versions.promote(NAME, number, actor="ada", reason=REASON)
    return number


def reason_in(page: str) -> str:
    """The text from the reason's first word to its last."""
    start = page.index("approved")
    return page[start:page.index("second line", start)]


@pytest.mark.parametrize("path", ["/admin/models/heart-disease",
                                  "/usecases/heart-disease/versions/{number}/card",
                                  "/api/v1/usecases/heart-disease/versions/{number}/card.md"])
def test_hidden_characters_in_a_reason_are_shown_as_code_points(app, promoted, path):
    client = signed_in(app, "admin")
    page = client.get(path.format(number=promoted))
    assert page.status_code == 200
    shown = reason_in(page.get_data(as_text=True))
    for hidden, code in zip(HIDDEN, SHOWN):
        assert hidden not in shown, f"{code} reached {path} as a character"
        assert code in shown, f"{code} not written out on {path}"
    assert "gnitset rof" in shown  # the typed letters stay, in the order typed


def test_ordinary_text_in_any_script_is_left_alone():
    text = "déjà vu — 速い ✓ résumé, tab-free"
    assert plain(text) == text
    assert str(marked(text)) == text
    assert str(marked("<b>")) == "&lt;b&gt;"
    assert 'title="right-to-left override"' in str(marked("\u202e"))
