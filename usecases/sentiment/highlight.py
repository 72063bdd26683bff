"""The review as written, with the words that moved its score marked: each quoted word or pair
of the explanation ("stale", "not good") found in the text, whatever its case and spacing, and
marked with the direction of its effect. Where two marked phrases overlap, the larger effect
(listed first) keeps the words."""
from __future__ import annotations

import re
from typing import Any, NamedTuple

_QUOTED = re.compile(r'^"(.+)"$')


class Piece(NamedTuple):
    """A stretch of the review: `direction` "raises" or "lowers" when it moved the score (by
    `effect`, in log-odds), else None."""

    text: str
    direction: str | None = None
    effect: float = 0.0


def marked(review: str, explanation: list[dict[str, Any]]) -> list[Piece]:
    """`review` cut into pieces, the explanation's words marked. Linear in the review's length
    for each of the explanation's few phrases."""
    claimed: list[tuple[int, int, float]] = []
    for item in explanation:
        found = _QUOTED.match(str(item.get("feature", "")))
        effect = float(item.get("effect") or 0.0)
        if not found or effect == 0.0:
            continue  # VADER's scores, and anything else that is not words of the review
        words = found.group(1).split()
        # Whole words only ("great" is not in "greatest"); punctuation ("!") anywhere.
        before = r"(?<![\w'])" if re.match(r"\w", words[0]) else ""
        after = r"(?![\w'])" if re.search(r"\w$", words[-1]) else ""
        pattern = re.compile(before + r"\s+".join(map(re.escape, words)) + after, re.IGNORECASE)
        for match in pattern.finditer(review):
            start, end = match.span()
            if all(end <= a or start >= b for a, b, _ in claimed):
                claimed.append((start, end, effect))
    pieces, at = [], 0
    for start, end, effect in sorted(claimed):
        if start > at:
            pieces.append(Piece(review[at:start]))
        pieces.append(Piece(review[start:end], "raises" if effect > 0 else "lowers", effect))
        at = end
    if at < len(review):
        pieces.append(Piece(review[at:]))
    return pieces
