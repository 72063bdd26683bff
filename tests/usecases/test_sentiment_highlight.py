"""The review as written with the words that moved its score marked (the result page)."""
from usecases.sentiment.highlight import Piece, marked

EXPLANATION = [
    {"feature": "VADER lexicon scores", "value": "compound -0.10", "effect": -0.8},
    {"feature": '"stale"', "value": 1, "effect": -0.6},
    {"feature": '"stale and"', "value": 1, "effect": -0.45},
    {"feature": '"not good"', "value": 1, "effect": -0.25},
    {"feature": '"!"', "value": 1, "effect": 0.23},
    {"feature": '"great"', "value": 1, "effect": 0.9},
]


def test_words_are_marked_where_written_whatever_their_case_and_spacing():
    review = "Not  good: STALE and bitter. Great price!"
    pieces = marked(review, EXPLANATION)
    assert "".join(piece.text for piece in pieces) == review  # nothing lost, nothing added
    shown = [(p.text, p.direction) for p in pieces if p.direction]
    assert shown == [("Not  good", "lowers"), ("STALE", "lowers"), ("Great", "raises"),
                     ("!", "raises")]


def test_only_whole_words_are_marked_and_a_larger_effect_keeps_overlapping_words():
    pieces = marked("greatest stale and", EXPLANATION)
    # "greatest" is not "great"; "stale" (listed first) keeps its word, so "stale and" is not
    # marked over it.
    assert pieces == [Piece("greatest "), Piece("stale", "lowers", -0.6), Piece(" and")]


def test_a_review_the_explanation_does_not_name_is_one_plain_piece():
    assert marked("Fine tea.", EXPLANATION) == [Piece("Fine tea.")]
