"""The sentiment use case: data, NLTK reading, training, quality floor, inputs, predictions."""
from __future__ import annotations

import io
import json
import pickle
import random
from collections import Counter
from pathlib import Path

import jinja2
import joblib
import nltk
import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.special import expit, logit

from usecases.base import TrainedModel, check_contract
from usecases.fields import validate
from usecases.sentiment import Sentiment
from usecases.sentiment import data as review_data
from usecases.sentiment import explain as review_explain
from usecases.sentiment import highlight
from usecases.sentiment import model as review_model
from usecases.sentiment import reading as review_reading
from usecases.sentiment import text as review_text
from usecases.sentiment import vader as review_vader
from tests.floors import shortfalls

TEMPLATES = Path(review_data.__file__).parent / "templates"
PORTAL_TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"
GLOWING = "Delicious! My kids love it and I will order it again. Best snack ever."
AWFUL = "Terrible. The bag was stale and it tasted like cardboard, a waste of money."


@pytest.fixture(scope="module")
def usecase() -> Sentiment:
    return Sentiment()


@pytest.fixture(scope="module")
def dataset(usecase):
    return usecase.load_data()


@pytest.fixture(scope="module")
def trained(registered) -> TrainedModel:
    """The production version `hub bootstrap` registered (full data)."""
    return registered("sentiment")


@pytest.fixture(scope="module")
def small(usecase, dataset) -> TrainedModel:
    """Trained on a sample: enough for tests of mechanics rather than of quality."""
    return usecase.train(dataset.sample(800, 100), lambda fraction, message: None)


def clean(usecase, inputs: dict) -> dict:
    checked = validate(usecase.fields, inputs)
    assert checked.ok, checked.errors
    return checked.values


def rows_of(usecase, *texts: str) -> list[dict]:
    return [clean(usecase, {"review": text}) for text in texts]


def probability(usecase, model, text: str) -> float:
    return usecase.predict(model, rows_of(usecase, text))[0]["probability"]


# -- contract and data ---------------------------------------------------------------------

def test_satisfies_the_contract(usecase):
    check_contract(usecase, "sentiment")
    assert usecase.task == "text-classification"
    assert [f.name for f in usecase.fields] == ["review"]
    assert usecase.fields[0].max_length == 5000


def test_data_keeps_the_shipped_split_cleaned(dataset):
    train_raw = review_data.read_raw("training_data")
    test_raw = review_data.read_raw("testing_data")
    train, test = dataset.train, dataset.test
    assert list(train.columns) == list(test.columns) == [review_data.TEXT, review_data.TARGET]
    assert len(test) == len(test_raw)
    # Only repeats and reviews also in the test part leave the training part.
    repeats = len(train_raw) - train_raw["review"].map(review_data.clean_review).nunique()
    assert dataset.extra["repeats_dropped"] == repeats > 0
    assert len(train) == len(train_raw) - repeats - dataset.extra["test_overlap_dropped"]
    assert train[review_data.TEXT].is_unique
    assert set(train[review_data.TEXT]).isdisjoint(test[review_data.TEXT])
    for frame in (train, test):
        texts = frame[review_data.TEXT]
        assert not texts.str.contains(r"<br|</?a\b|&quot;|&lt;", regex=True).any()
        assert (texts.str.strip() == texts).all() and (texts != "").all()
        assert set(frame[review_data.TARGET]) == {review_data.GREAT, review_data.OTHER}
    shipped = (train_raw["score"] == "great").mean()
    assert abs((train[review_data.TARGET] == review_data.GREAT).mean() - shipped) < 0.01


@pytest.mark.parametrize("raw, plain", [
    ("Great!<br /><br />Would buy again.", "Great! Would buy again."),
    ("Tasty<br/>snack", "Tasty snack"),
    ('Try <a href="http://www.amazon.com/gp/B0001">Pro-Treat</a> too', "Try Pro-Treat too"),
    ("<p>Caf&eacute; &quot;noir&quot;</p>", 'Café "noir"'),
    ("I wouldn\u2019t   buy it", "I wouldn't buy it"),
    ("5 &lt;b&gt;stars&lt;/b&gt;", "5 <b>stars</b>"),
    (" Tabs\tand\r\nbreaks \x1c  ", "Tabs and breaks"),
    ("\u00a0Wide\u3000and\u2009thin&nbsp;spaces\u2028", "Wide and thin spaces"),
])
def test_clean_review(raw, plain):
    assert review_data.clean_review(raw) == plain


def test_fingerprint_is_stable_and_follows_the_data(usecase, dataset):
    assert usecase.load_data().fingerprint == dataset.fingerprint
    changed = usecase.load_data()
    changed.train.iloc[0, 0] = changed.train.iloc[0, 0] + " Yum."
    assert changed.fingerprint != dataset.fingerprint


# -- reading the text with NLTK ------------------------------------------------------------

@pytest.mark.parametrize("text, present, absent", [
    ("This is not good.", {"not", "good_NEG"}, {"good"}),
    ("I didn't like it, but the tea is great", {"like_NEG", "it_NEG", "great"}, {"great_NEG"}),
    ("Never again! Loved the first box", {"again_NEG", "!", "love"}, {"love_NEG"}),
    ("Tasty tasting flavors", {"tasti", "tast", "flavor"}, set()),
    ("Good, good, good", {"good", "good good"}, {","}),
])
def test_terms_are_stems_with_negation_marked(text, present, absent):
    terms = set(review_text.terms(text))
    assert present <= terms and not absent & terms


def test_written_forms_map_terms_back_to_the_words():
    forms = review_text.written_forms("Not tasty at all. Loved the tins")
    assert forms["tasti_NEG"] == "tasty" and forms["love"] == "loved"
    assert forms["tasti_NEG at_NEG"] == "tasty at"


def test_vader_reads_the_shipped_lexicon_without_downloading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("nltk.download must not be called")
    monkeypatch.setattr(nltk, "download", refuse)
    review_text.analyzer.cache_clear()
    review_text.polarity.cache_clear()
    first = review_text.analyzer()
    assert review_text.analyzer() is first  # loaded once per process
    assert any(Path(folder).name == "vaderSentiment" for folder in nltk.data.path)
    good, bad = review_text.polarity("I love it, delicious!"), review_text.polarity(AWFUL)
    assert good["compound"] > 0.5 and bad["compound"] < -0.3
    for scores in (good, bad):
        assert set(scores) == {"pos", "neu", "neg", "compound"}
        assert sum(scores[k] for k in ("pos", "neu", "neg")) == pytest.approx(1.0, abs=0.01)


# -- reading a review for serving (reading.py, vader.py) ----------------------------------

# What the serving reading must treat exactly as NLTK does: negations, clause ends, marks before
# and after words, emoticons, emoji, capitals, VADER's boosters, "but", "least", idioms.
READING_TEXTS = [
    "Not good. Not bad, either!", "I didn't like it, but the tea is great", "NEVER again!!",
    "LOVE it :) but the price... :( <3 :-) :D", "I LOVE THIS TEA!!! BEST EVER", "SO GOOD",
    "kind of good, sort of bad; kind of", "KIND of awful", "at least good, least good, very least",
    "never so good, never this bad, the bomb, the shit, cut the mustard, yeah right",
    "Great!!!! (yum) \"good\" 'tis good- --good ?!?good good!? e.g. a. ok. good.. ''",
    "😀 great 😡 terrible 👍🏽 café crème brûlée — délicieux!", "Zzzxq qwvvb.", "!!! ???", "a",
    "It wasn't bad... at least not awful?!? Don't. Won't. Cannot. Isn't it GREAT?",
    "extremely good but barely ok, hardly bad, totally AMAZING", "!" * 5000, "good " * 1000,
]


def soup(seed: int, size: int) -> list[str]:
    """Reviews made of the tokens VADER and the term reader treat specially, in random order."""
    pool = ("good bad GREAT Great awful not never no but But BUT so this least at very kind of "
            "sort extremely barely hardly the bomb shit yeah right didn't isn't cannot love "
            "LOVE hate ok , . ! ? !! ??? ?!? ; : - ' \" :) :( <3 😀 (yum) good! !bad ,nice "
            "tasty. great!!!! \u00a0 \n").split(" ")
    rng = random.Random(seed)
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(size)]


def test_serving_vader_equals_nltks(dataset):
    """vader.polarity is NLTK's polarity_scores to the last bit, on every held-out review, the
    edge cases and random mixtures of what VADER treats specially."""
    analyzer = review_text.analyzer()
    texts = list(dataset.test[review_data.TEXT]) + READING_TEXTS + soup(7, 3000)
    for text in texts:
        expected = {key: float(value) for key, value in analyzer.polarity_scores(text).items()}
        assert review_vader.polarity(text) == {k: expected[k] for k in review_text.VADER_SCORES}


def test_serving_reading_equals_the_pipelines(dataset):
    """Terms, counts (in first-seen order), written forms and VADER scores as text.py reads
    them for training and for the reference explanation."""
    for text in list(dataset.test[review_data.TEXT])[:300] + READING_TEXTS + soup(8, 500):
        reading = review_reading.read(text)
        counts = Counter(review_text.terms(text))
        assert list(reading.counts.items()) == list(counts.items())
        forms = review_text.written_forms(text)
        assert {term: reading.written(term) for term in counts} == forms
        assert reading.vader == review_text.polarity(text)


# -- training --------------------------------------------------------------------------------

def test_training_on_a_sample(usecase, dataset):
    calls = []
    result = usecase.train(dataset.sample(600, 100, seed=1), lambda f, m: calls.append((f, m)))
    assert isinstance(result, TrainedModel)
    assert {row["name"] for row in result.leaderboard} == set(review_model.candidates())
    for row in result.leaderboard:
        assert 0.0 <= row["cv_score"] <= 1.0 and row["fit_seconds"] >= 0
    assert result.params["algorithm"] == result.leaderboard[0]["name"]
    for key in ("roc_auc", "accuracy", "f1", "precision", "recall"):
        assert 0.0 <= result.metrics[key] <= 1.0
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) == len(fractions)
    json.dumps(result.params), json.dumps(result.metrics), json.dumps(result.leaderboard)


def test_quality_floor_on_held_out_reviews(trained, dataset):
    metrics = trained.metrics
    assert not shortfalls("sentiment", metrics)
    majority = (dataset.test[review_data.TARGET] == review_data.GREAT).mean()
    assert metrics["accuracy"] > max(majority, 1 - majority)
    assert metrics["f1"] > 0.8
    counts = [metrics[k] for k in ("true_positives", "false_positives", "true_negatives",
                                   "false_negatives")]
    assert sum(counts) == len(dataset.test)
    # The text model must beat reading VADER's lexicon alone, or the words add nothing.
    baseline = next(row for row in trained.leaderboard if row["name"].startswith("VADER"))
    assert trained.leaderboard[0]["cv_score"] > baseline["cv_score"] + 0.05


def test_artifact_is_small_and_holds_no_analyzer(usecase, trained):
    buffer = io.BytesIO()
    joblib.dump(trained.model, buffer)
    assert buffer.tell() < 5_000_000
    assert b"SentimentIntensityAnalyzer" not in buffer.getvalue()
    assert b"vader_lexicon" not in buffer.getvalue()
    buffer.seek(0)
    loaded = joblib.load(buffer)
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    assert usecase.predict(loaded, rows) == usecase.predict(trained.model, rows)


def test_blend_averages_its_members_log_odds(dataset):
    sample = dataset.sample(400, 50, seed=3)
    prepare = review_model.features().fit(sample.train[[review_data.TEXT]])
    blend = review_model.LogOddsBlend((review_model.logistic(), review_model.naive_bayes()))
    blend.fit(prepare.transform(sample.train[[review_data.TEXT]]),
              review_model.target(sample.train))
    lr, nb = blend.estimators_
    features = prepare.transform(pd.DataFrame({"review": [GLOWING, AWFUL, "It's fine."]}))
    nb_log_odds = np.diff(nb.predict_joint_log_proba(features), axis=1).ravel()
    expected = (lr.decision_function(features) + nb_log_odds) / 2
    assert blend.decision_function(features) == pytest.approx(expected)
    assert list(blend.predict(features)) == list((expected >= 0).astype(int))


def test_log_odds_weights_reproduce_every_candidate(dataset):
    sample = dataset.sample(400, 50, seed=2)
    X, y = sample.train[[review_data.TEXT]], review_model.target(sample.train)
    for name, pipeline in review_model.candidates().items():
        pipeline.fit(X, y)
        matrix = pipeline.named_steps["features"].transform(sample.test[[review_data.TEXT]])
        weights, bias = review_model.log_odds_weights(pipeline.named_steps["classify"])
        assert expit(matrix @ weights + bias) == pytest.approx(
            pipeline.predict_proba(sample.test[[review_data.TEXT]])[:, 1]), name


# -- inputs ----------------------------------------------------------------------------------

def test_examples_are_valid(usecase):
    assert len(usecase.examples) >= 2
    for inputs in usecase.examples.values():
        assert set(inputs) == {"review"}
        assert usecase.check_inputs(None, clean(usecase, inputs)) == {}


@pytest.mark.parametrize("inputs, field", [
    ({}, "review"),
    ({"review": None}, "review"),
    ({"review": ""}, "review"),
    ({"review": "   "}, "review"),
    ({"review": "x" * 5001}, "review"),
    ({"review": 5}, "review"),
    ({"review": ["good"]}, "review"),
    ({"review": "tasty\x00snack"}, "review"),
    ({"review": "Tasty", "stars": 5}, "stars"),
])
def test_bad_inputs_are_refused(usecase, inputs, field):
    checked = validate(usecase.fields, inputs)
    assert not checked.ok and field in checked.errors


@pytest.mark.parametrize("text, ok", [
    ("<br /><br />", False), ("!!! ???", False), ("<p>Yummy</p>", True), ("Meh.", True)])
def test_check_inputs_wants_words(usecase, text, ok):
    assert (usecase.check_inputs(None, {"review": text}) == {}) is ok


# -- predictions -----------------------------------------------------------------------------

def test_batch_equals_rows_alone(usecase, small):
    """One row, a batch and a repeat give the same results to the last bit, in new objects."""
    texts = [e["review"] for e in usecase.examples.values()] + [AWFUL] + READING_TEXTS
    rows = rows_of(usecase, *texts)
    together = usecase.predict(small.model, rows)
    review_reading.read.cache_clear()  # so each row alone is read and scored afresh
    alone = [usecase.predict(small.model, [row])[0] for row in rows]
    assert len(together) == len(rows)
    assert json.dumps(together) == json.dumps(alone)  # repr of floats: every bit
    again = usecase.predict(small.model, rows)  # from the memos
    assert again == together
    # A caller changing its results changes nothing of what later calls get.
    again[0]["explanation"][0]["feature"] = "changed"
    again[0]["explanation"].clear()
    again[0]["vader"].clear()
    assert usecase.predict(small.model, rows[:1]) == together[:1]


def test_each_model_scores_a_review_itself(usecase, small, trained):
    """What one model has scored (and memoised) for a review is not what another serves."""
    texts = [GLOWING, AWFUL, "It's fine."]
    for model in (small.model, trained.model, small.model):
        served = [r["probability"] for r in usecase.predict(model, rows_of(usecase, *texts))]
        assert served == pytest.approx(model.predict_proba(
            pd.DataFrame({review_data.TEXT: texts}))[:, 1], rel=0, abs=1e-9)


def test_prediction_shape(usecase, small):
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    for result in usecase.predict(small.model, rows):
        json.dumps(result)  # plain JSON types only
        p = result["probability"]
        assert type(p) is float and 0.0 <= p <= 1.0
        assert result["output"] == ("great" if p >= 0.5 else "other")
        assert result["probabilities"] == {"great": p, "other": pytest.approx(1 - p)}
        assert f"{max(p, 1 - p):.0%}" in result["summary"]
        assert set(result["vader"]) == {"pos", "neu", "neg", "compound"}
        assert all(type(v) is float for v in result["vader"].values())
    assert usecase.predict(small.model, []) == []


def test_html_in_an_input_is_read_as_text(usecase, small):
    plain, marked = usecase.predict(small.model, rows_of(
        usecase, "Fresh and tasty. Would buy again.", "Fresh and tasty.<br />Would buy again."))
    assert plain["probability"] == pytest.approx(marked["probability"])


def test_explanation_is_sorted_and_typed(usecase, small):
    for result in usecase.predict(small.model, rows_of(usecase, GLOWING, AWFUL)):
        effects = [item["effect"] for item in result["explanation"]]
        assert 0 < len(effects) <= 8
        assert [abs(e) for e in effects] == sorted((abs(e) for e in effects), reverse=True)
        assert all(type(e) is float for e in effects) and any(e != 0 for e in effects)
        assert all(set(item) == {"feature", "value", "effect"} for item in result["explanation"])


def test_effects_add_up_to_the_log_odds(small):
    """All effects (not only the top ones shown) plus the baseline give the model's log-odds."""
    model = small.model
    probabilities, explanations = review_explain.score(model, [GLOWING, AWFUL])
    weights, bias = review_model.log_odds_weights(model.named_steps["classify"])
    prepare = model.named_steps["features"]
    vader = prepare.output_indices_["vader"]
    baseline = bias + prepare.named_transformers_["vader"].mean_ @ weights[vader]
    for p, effects in zip(probabilities, explanations):
        assert baseline + sum(e["effect"] for e in effects) == pytest.approx(logit(p), abs=1e-6)


def test_explanation_moves_the_sensible_way(usecase, trained):
    good, bad = usecase.predict(trained.model, rows_of(usecase, GLOWING, AWFUL))
    assert good["output"] == "great" and bad["output"] == "other"
    for result, sign in ((good, 1), (bad, -1)):
        vader = next(e for e in result["explanation"] if e["feature"] == review_explain.VADER_LABEL)
        assert sign * vader["effect"] > 0
        assert sign * result["explanation"][0]["effect"] > 0
    _, (praise, complaint) = review_explain.score(trained.model, [GLOWING, AWFUL])
    praised = {e["feature"]: e["effect"] for e in praise}
    complained = {e["feature"]: e["effect"] for e in complaint}
    assert praised['"delicious"'] > 0 and praised['"love"'] > 0
    assert complained['"stale"'] < 0 and complained['"waste"'] < 0
    assert probability(usecase, trained.model, "This tea is good.") > probability(
        usecase, trained.model, "This tea is not good.")
    titles = list(usecase.examples)
    glowing, disappointed = (probability(usecase, trained.model, usecase.examples[t]["review"])
                             for t in titles[:2])
    assert glowing > 0.8 and disappointed < 0.2


def test_negated_words_are_labelled(usecase, small):
    result = usecase.predict(small.model, rows_of(usecase, "I would not buy this tea again"))[0]
    features = [e["feature"] for e in result["explanation"]]
    assert any(f.endswith("(after a negation)") for f in features)
    assert not any('"not' in f and "negation" in f for f in features)


# -- the compiled serving path against scikit-learn ------------------------------------------

def reference_score(model, texts: list[str]) -> tuple[np.ndarray, list[list[dict]]]:
    """The straightforward path serving took before compiling: the pipeline's own transform and
    predict_proba, then one effect per known term (TF-IDF value times weight) and VADER's."""
    prepare, classify = model.named_steps["features"], model.named_steps["classify"]
    matrix = sparse.csr_matrix(prepare.transform(pd.DataFrame({review_data.TEXT: texts})))
    weights, _ = review_model.log_odds_weights(classify)
    words = prepare.named_transformers_.get("words")
    vader = prepare.output_indices_["vader"]
    explanations = []
    for i, text in enumerate(texts):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        row = dict(zip(matrix.indices[start:stop].tolist(), matrix.data[start:stop].tolist()))
        effects = []
        if words is not None:
            offset, forms = prepare.output_indices_["words"].start, review_text.written_forms(text)
            for term, count in Counter(review_text.terms(text)).items():
                if term in words.vocabulary_:
                    column = words.vocabulary_[term] + offset
                    effects.append({"feature": review_explain.shown_term(term, forms[term]),
                                    "value": count,
                                    "effect": float(row.get(column, 0.0) * weights[column])})
        values = np.array([row.get(column, 0.0) for column in range(vader.start, vader.stop)])
        mean = prepare.named_transformers_["vader"].mean_
        effects.append({"feature": review_explain.VADER_LABEL,
                        "value": f"compound {review_text.polarity(text)['compound']:+.2f}",
                        "effect": float(((values - mean) * weights[vader]).sum())})
        effects.sort(key=lambda effect: abs(effect["effect"]), reverse=True)
        explanations.append(effects)
    return classify.predict_proba(matrix)[:, 1], explanations


def assert_same_explanations(served: list[dict], reference: list[dict]) -> None:
    assert [(e["feature"], e["value"]) for e in served] == [
        (e["feature"], e["value"]) for e in reference]
    assert [e["effect"] for e in served] == pytest.approx(
        [e["effect"] for e in reference], rel=0, abs=1e-9)


EDGE_TEXTS = ["Zzzxq qwvvb.", "!!! ???", "Not good. Not bad, either!", "I would not buy this again",
              "LOVE it :) but the price... :(", GLOWING * 20, "I LOVE THIS TEA!!! BEST EVER",
              "😀 great 😡 terrible 👍🏽", "Qwzx vbnm, plokij!", "!" * 5000, "good " * 1000]


def test_serving_matches_the_pipeline(usecase, trained, dataset):
    """Every held-out review: probabilities as the pipeline's predict_proba, effects as the
    reference's; predictions show the top ones; the model's artifact is left as it was."""
    model, before = trained.model, pickle.dumps(trained.model)
    texts = list(dataset.test[review_data.TEXT]) + EDGE_TEXTS + [
        review_data.clean_review(e["review"]) for e in usecase.examples.values()]
    probability, explanations = review_explain.score(model, texts)
    expected, reference = reference_score(model, texts)
    assert probability == pytest.approx(expected, rel=0, abs=1e-9)
    assert probability == pytest.approx(model.predict_proba(
        pd.DataFrame({review_data.TEXT: texts}))[:, 1], rel=0, abs=1e-9)
    for served, wanted in zip(explanations, reference):
        assert_same_explanations(served, wanted)
    rows = rows_of(usecase, *texts[-60:])
    # predict reads the review as clean_review leaves it (a second cleaning can change it).
    expected, reference = reference_score(
        model, [review_data.clean_review(row["review"]) for row in rows])
    for result, p, wanted in zip(usecase.predict(model, rows), expected, reference):
        assert result["probability"] == pytest.approx(p, rel=0, abs=1e-9)
        assert_same_explanations(result["explanation"], wanted[:8])
    assert pickle.dumps(model) == before


@pytest.fixture(scope="module")
def candidate_sample(dataset):
    return dataset.sample(400, 150, seed=4)


@pytest.mark.parametrize("name", list(review_model.candidates()))
def test_every_candidate_serves_as_its_pipeline(candidate_sample, name):
    """The VADER-only baseline, naive Bayes, logistic regression and the blend all compile."""
    train, test = candidate_sample.train, candidate_sample.test
    model = review_model.candidates()[name].fit(train[[review_data.TEXT]],
                                                review_model.target(train))
    texts = list(test[review_data.TEXT]) + EDGE_TEXTS
    probability, explanations = review_explain.score(model, texts)
    expected, reference = reference_score(model, texts)
    assert probability == pytest.approx(expected, rel=0, abs=1e-9)
    for served, wanted in zip(explanations, reference):
        assert_same_explanations(served, wanted)


def test_serving_follows_a_refit(dataset):
    """What is compiled from a pipeline is compiled again when the pipeline is refitted."""
    model = review_model.candidates()["logistic regression (words + VADER)"]
    texts = EDGE_TEXTS + [GLOWING, AWFUL]
    for seed in (5, 6):
        train = dataset.sample(300, 10, seed=seed).train
        model.fit(train[[review_data.TEXT]], review_model.target(train))
        probability, _ = review_explain.score(model, texts)
        assert probability == pytest.approx(model.predict_proba(
            pd.DataFrame({review_data.TEXT: texts}))[:, 1], rel=0, abs=1e-9)


# -- result fragment -------------------------------------------------------------------------

def render(usecase, result, inputs) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([TEMPLATES, PORTAL_TEMPLATES]), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.globals["marked_review"] = highlight.marked  # the sentiment blueprint's global
    return env.get_template(usecase.result_template).render(result=result, usecase=usecase,
                                                            inputs=inputs)


def test_result_fragment(usecase, small):
    row = clean(usecase, next(iter(usecase.examples.values())))
    result = usecase.predict(small.model, [row])[0]
    html = render(usecase, result, row)
    # The class is the page's headline (the summary), not repeated in the fragment.
    assert f"{result['probability'] * 100:.0f}%" in html and result["label"] not in html
    assert html.count("<mark ") >= 1  # the review's words that moved it
    assert html.count("<meter") == 1 + 3
    assert html.count('class="effect-bar"') == len(result["explanation"])
    assert "Positive" in html and "Neutral" in html and "Negative" in html
    assert f"{result['vader']['compound']:+.2f}" in html
    assert "style=" not in html and "<script" not in html and "<html" not in html


def test_result_fragment_escapes(usecase, small):
    result = usecase.predict(small.model, rows_of(usecase, "<b>Yummy</b> & crunchy"))[0]
    result["explanation"][0]["feature"] = "<b>x</b>"
    html = render(usecase, result, {})
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


# -- time linear in the text --------------------------------------------------------------------
REVIEW_CHARS = 5000  # the review field's limit


def ordinary_review(i: int) -> str:
    base = f"Review {i}: this tea tastes great, though the bag was torn.<br />I would buy it! "
    return (base * (REVIEW_CHARS // len(base) + 1))[:REVIEW_CHARS]


CRAFTED = {  # each once took 4 to 25 times an ordinary review's time, growing with the length
    "tags never closed": lambda i: (f"good {i} " + "<" * REVIEW_CHARS)[:REVIEW_CHARS],
    "paragraphs never closed": lambda i: (f"good {i} " + "<p" * REVIEW_CHARS)[:REVIEW_CHARS],
    "links never closed": lambda i: (f"good {i} " + "<a good " * REVIEW_CHARS)[:REVIEW_CHARS],
    "every word a new lexicon word": lambda i: " ".join(
        word for word in sorted(review_text.analyzer().lexicon)[i:] if word.isalpha()
    )[:REVIEW_CHARS],
}


def serving_cost(usecase, model, make, count: int = 60) -> float:
    """CPU seconds to check and score `count` distinct reviews as serving does (the best of
    three, memos emptied first: every review is new to the process)."""
    import time

    import usecases.sentiment as sentiment

    rows = [{"review": make(i)} for i in range(count)]
    best = float("inf")
    for _ in range(3):
        for memo in (sentiment.cleaned, review_reading.read, review_vader.polarity):
            memo.cache_clear()
        began = time.process_time()
        for row in rows:
            assert usecase.check_inputs(model, row) == {}
            usecase.predict(model, [row])
        best = min(best, time.process_time() - began)
    return best


@pytest.mark.parametrize("kind", list(CRAFTED))
def test_crafted_reviews_cost_no_more_than_ordinary_ones_of_the_same_size(usecase, trained,
                                                                          kind):
    """Linear time everywhere a review goes (HTML cleaning, tokens, VADER): input made to
    trip a scan from every "<" or a search from every word costs at most a few times an
    ordinary review of the same length, never tens of times more."""
    assert all(len(CRAFTED[kind](i)) == REVIEW_CHARS for i in range(3))
    ordinary = serving_cost(usecase, trained.model, ordinary_review)
    crafted = serving_cost(usecase, trained.model, CRAFTED[kind])
    assert crafted <= 4 * ordinary, f"{kind}: {crafted:.3f} s against {ordinary:.3f} s"


def test_a_batch_leaves_the_single_review_memos_alone(usecase, small):
    """A large batch of new reviews must not push out the memo that answers the page's
    examples and retries (nor fill it with reviews nobody asks twice)."""
    import usecases.sentiment as sentiment

    for memo in (sentiment.cleaned, review_reading.read):
        memo.cache_clear()
    usecase.predict(small.model, rows_of(usecase, "Lovely tea, would buy again!"))
    held = (sentiment.cleaned.cache_info().currsize, review_reading.read.cache_info().currsize)
    batch = [{"review": ordinary_review(i)} for i in range(review_reading.READINGS_CACHED + 44)]
    for row in batch:
        usecase.check_inputs(small.model, row)
    usecase.predict(small.model, batch)
    assert (sentiment.cleaned.cache_info().currsize,
            review_reading.read.cache_info().currsize) == held == (1, 1)
    before = review_reading.read.cache_info().hits
    usecase.predict(small.model, rows_of(usecase, "Lovely tea, would buy again!"))
    assert review_reading.read.cache_info().hits == before + 1
