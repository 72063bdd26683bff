"""Reading a review with NLTK: the terms the word model counts, and VADER's lexicon scores.

Only NLTK pieces that need no downloaded data are used: a RegexpTokenizer, the Snowball stemmer
and VADER, whose lexicon is the file the vaderSentiment package ships. Each loads lazily, once per
process, so importing this module costs nothing and a pickled model holds none of them.

Both readings are memoised per text: cross-validation reads every training review once per fold
and candidate, and VADER alone costs about a millisecond a review. Serving reads a review through
reading.py instead, to the same terms and scores, with a smaller memo of its own, so a web process
does not hold the training reviews' terms.
"""
from __future__ import annotations

import functools
import importlib.resources
from typing import Any, Iterable

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

# Words (with inner apostrophes: "didn't", "it's") and the punctuation that ends a clause.
TOKEN_PATTERN = r"[a-z0-9]+(?:'[a-z]+)*|[!?.:;,]"  # nosec B105: a regex, not a password
# NLTK's mark_negation ends a negation at . : ; ! ? only; ending it at a comma too reads "never
# bitter, even when I forget the bag" right and lifts CV ROC AUC by about 0.003.
CLAUSE_END = frozenset(".:;!?,")
# "!" and "?" carry tone ("Love it!!", "why did I buy this?"); the rest only end a negation.
KEPT_PUNCTUATION = frozenset("!?")
# The negations of nltk.sentiment.util.mark_negation, plus "cannot". Its per-token regex search
# is the slow part of reading (seconds for the data set), so the rule is applied with a set lookup.
NEGATIONS = frozenset({"never", "no", "nothing", "nowhere", "noone", "none", "not", "havent",
                       "hasnt", "hadnt", "cant", "couldnt", "shouldnt", "wont", "wouldnt", "dont",
                       "doesnt", "didnt", "isnt", "arent", "aint", "cannot"})
NEGATED = "_NEG"  # the suffix NLTK uses: "not good" gives the terms "not" and "good_NEG"
VADER_SCORES = ("pos", "neu", "neg", "compound")
CACHE_SIZE = 8192  # more than the 5,000 reviews of the data set


@functools.cache
def _tokenizer() -> Any:
    from nltk.tokenize import RegexpTokenizer
    return RegexpTokenizer(TOKEN_PATTERN)


@functools.cache
def _stemmer() -> Any:
    from nltk.stem.snowball import SnowballStemmer
    return SnowballStemmer("english")


@functools.lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return _stemmer().stem(word)


def is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


def tokens(text: str) -> list[tuple[str, str]]:
    """(word as written, lower-cased; term the model counts) for each token of a review.

    Terms are stems, and a word between a negation and the end of its clause gets NEGATED, so
    "not good" and "good" are different evidence.
    """
    out = []
    negated = False
    for word in _tokenizer().tokenize(text.lower()):
        if word in CLAUSE_END:
            negated = False
            if word in KEPT_PUNCTUATION:
                out.append((word, word))
        elif is_negation(word):
            out.append((word, stem(word)))
            negated = True
        else:
            out.append((word, stem(word) + NEGATED if negated else stem(word)))
    return out


@functools.lru_cache(maxsize=CACHE_SIZE)
def terms(text: str) -> tuple[str, ...]:
    """The review's terms then its pairs of neighbouring terms ("tast great")."""
    return _terms(tokens(text))


def written_forms(text: str) -> dict[str, str]:
    """Each term and pair of the review, mapped to the words as first written there."""
    return _written_forms(tokens(text))


def _terms(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    single = [term for _, term in pairs]
    return tuple(single) + tuple(f"{a} {b}" for a, b in zip(single, single[1:]))


def _written_forms(pairs: list[tuple[str, str]]) -> dict[str, str]:
    forms: dict[str, str] = {}
    for word, term in pairs:
        forms.setdefault(term, word)
    for (word_a, term_a), (word_b, term_b) in zip(pairs, pairs[1:]):
        forms.setdefault(f"{term_a} {term_b}", f"{word_a} {word_b}")
    return forms


class ReviewTerms:
    """The analyzer a TfidfVectorizer calls on each review (a class, so the model pickles)."""

    def __call__(self, text: str) -> tuple[str, ...]:
        return terms(text)

    def __repr__(self) -> str:
        return "ReviewTerms()"


@functools.cache
def analyzer() -> Any:
    """NLTK's VADER, reading the lexicon shipped in vaderSentiment (nothing is downloaded).

    NLTK only opens lexicons found on its data path, so the package folder is put there.
    """
    import nltk
    from nltk.sentiment.vader import SentimentIntensityAnalyzer
    folder = str(importlib.resources.files("vaderSentiment"))
    if folder not in nltk.data.path:
        nltk.data.path.insert(0, folder)
    return SentimentIntensityAnalyzer(lexicon_file="vader_lexicon.txt")


@functools.lru_cache(maxsize=CACHE_SIZE)
def polarity(text: str) -> dict[str, float]:
    """VADER's scores of a review: shares pos, neu, neg (summing to 1) and compound (-1..1)."""
    scores = analyzer().polarity_scores(text)
    return {key: float(scores[key]) for key in VADER_SCORES}


class VaderScores(TransformerMixin, BaseEstimator):
    """VADER's four scores as features, compound rescaled to 0..1 so naive Bayes can count them.

    `mean_` (learned in fit) is the average training review's scores: explanations measure a
    review's VADER effect from there rather than from an impossible all-zero review.
    """

    def fit(self, X: Iterable[str], y: Any = None) -> "VaderScores":
        self.mean_ = self.transform(X).mean(axis=0)
        return self

    def transform(self, X: Iterable[str]) -> np.ndarray:
        return vader_features(X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(VADER_SCORES, dtype=object)


def vader_features(texts: Iterable[str]) -> np.ndarray:
    """VaderScores' features of each text: pos, neu, neg, and compound rescaled to 0..1."""
    scores = np.array([[polarity(text)[key] for key in VADER_SCORES] for text in texts],
                      dtype=float).reshape(-1, len(VADER_SCORES))
    scores[:, -1] = (scores[:, -1] + 1.0) / 2.0
    return scores


def read_all(texts: Iterable[str]) -> None:
    """Read every text once (terms and VADER), filling the memos before cross-validation."""
    for text in texts:
        terms(text)
        polarity(text)
