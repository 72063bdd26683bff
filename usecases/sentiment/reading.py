"""One serving read of a review: its terms, pairs and their counts, its words, VADER's scores.

Serving reads each review once for all it needs: the TF-IDF counts, the words an explanation
shows, and VADER's scores (from vader.py). The terms are `text.terms`' and the counts those
TfidfVectorizer takes from them; the written forms are `text.written_forms`', looked up only for
the few terms an explanation shows rather than mapped for all of them.
"""
from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from usecases.sentiment import vader
from usecases.sentiment.text import (CLAUSE_END, KEPT_PUNCTUATION, NEGATED, TOKEN_PATTERN,
                                     is_negation, stem)

READINGS_CACHED = 256  # a page's examples and a client's retries, not every review

# The tokenizer's pattern, compiled by `re`: NLTK's RegexpTokenizer runs it through the `regex`
# package under a timeout, several times slower, and this pattern cannot backtrack.
_TOKEN = re.compile(TOKEN_PATTERN)


@functools.lru_cache(maxsize=50_000)
def _word(word: str) -> tuple[str, bool]:
    """A word's stem and whether it is a negation, looked up together."""
    return stem(word), is_negation(word)


@dataclass(frozen=True, eq=False)
class Reading:
    """A review as served: shared between calls (it is memoised), so read, never change."""

    words: list[str]          # each kept token as written (lower-cased), one per term
    terms: list[str]          # the model's term of each word (`text.tokens`)
    pairs: list[str]          # "term next_term" of neighbouring terms
    counts: dict[str, int]    # Counter(text.terms(review)): terms, then pairs, first-seen order
    vader: dict[str, float]   # `text.polarity(review)`

    def written(self, term: str) -> str:
        """The words as first written for a term or pair (`text.written_forms`' value)."""
        if " " in term:  # only pairs hold a space
            at = self.pairs.index(term)
            return f"{self.words[at]} {self.words[at + 1]}"
        return self.words[self.terms.index(term)]


@functools.lru_cache(maxsize=READINGS_CACHED)
def read(text: str) -> Reading:
    """The serving reading of a cleaned review (memoised: a page's examples, a client's retry)."""
    words, terms = _tokens(text)
    pairs = [f"{a} {b}" for a, b in zip(terms, terms[1:])]
    counts = Counter(terms)
    counts.update(pairs)
    return Reading(words, terms, pairs, counts, vader.polarity(text))


def _tokens(text: str) -> tuple[list[str], list[str]]:
    """`text.tokens(text)` as two lists: the words as written and their terms."""
    words: list[str] = []
    terms: list[str] = []
    negated = False
    for word in _TOKEN.findall(text.lower()):
        if word in CLAUSE_END:
            negated = False
            if word in KEPT_PUNCTUATION:
                words.append(word)
                terms.append(word)
            continue
        term, negation = _word(word)
        if negation:
            negated = True
        elif negated:
            term += NEGATED
        words.append(word)
        terms.append(term)
    return words, terms
