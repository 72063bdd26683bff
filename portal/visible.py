"""Text people typed, shown as it is stored: characters that would act on the page rather than
show on it (controls, line breaks, zero-width and direction marks such as U+202E, which turns
the rest of a line around) are written out as their code points.

A promotion's reason is read in the audit trail as evidence of who decided what and why; a
reason ending in U+202E "gnitset rof" must not read as "for testing". Ordinary letters, accents,
emoji and spaces, in any script, are left as they are.
"""
from __future__ import annotations

import unicodedata

from flask import Flask
from markupsafe import Markup, escape

# Unicode's control, format, separator (line and paragraph), surrogate, private-use and
# unassigned categories: none draws a glyph of its own.
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def code_point(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def plain(text: object) -> str:
    """`text` with each hidden character as ⟨U+XXXX⟩, for Markdown and other plain text."""
    return "".join(f"⟨{code_point(ch)}⟩" if unicodedata.category(ch) in HIDDEN else ch
                   for ch in str(text))


def marked(text: object) -> Markup:
    """`text` escaped for HTML, each hidden character as a marked code point whose title names
    it (so a reader can tell U+202E from U+200B)."""
    parts = []
    for ch in str(text):
        if unicodedata.category(ch) in HIDDEN:
            name = unicodedata.name(ch, "unnamed character").lower()
            parts.append(Markup('<span class="code-point" title="{}">{}</span>')
                         .format(name, code_point(ch)))
        else:
            parts.append(escape(ch))
    return Markup("").join(parts)


def init_app(app: Flask) -> None:
    app.add_template_filter(marked, "visible")
    app.add_template_filter(plain, "visible_plain")
