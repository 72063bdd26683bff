"""The recommendation use case: data, training, quality floor, inputs, predictions, search, page."""
from __future__ import annotations

import io
import json
import pickle
import random
import re
from pathlib import Path

import flask
import jinja2
import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from usecases.base import TrainedModel, check_contract
from usecases.fields import validate
from usecases.recommendation import Recommendation
from usecases.recommendation import data as movie_data
from usecases.recommendation import evaluation, serving
from usecases.recommendation.results import BECAUSE_MIN_STARS
from usecases.recommendation.explanations import LIKED, TOP_EFFECTS
from usecases.recommendation.form import input_errors, parse_ratings
from usecases.recommendation.model import Recommender
from usecases.recommendation.ranking import Ease
from usecases.recommendation.ratings import Profiles
from usecases.recommendation.sums import run_sums
from tests.floors import shortfalls

TEMPLATES = Path(movie_data.__file__).parent / "templates"
PORTAL_TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"
TOY_STORY, TOY_STORY_2, GODFATHER, GODFATHER_2, ALIEN = 1, 3114, 858, 1221, 1214


@pytest.fixture(scope="module")
def usecase() -> Recommendation:
    return Recommendation()


@pytest.fixture(scope="module")
def dataset(usecase):
    return usecase.load_data()


@pytest.fixture(scope="module")
def trained(registered) -> TrainedModel:
    """The production version `hub bootstrap` registered (full data)."""
    return registered("recommendation")


@pytest.fixture(scope="module")
def model(trained) -> Recommender:
    return trained.model


def clean(usecase, inputs: dict) -> dict:
    checked = validate(usecase.fields, inputs)
    assert checked.ok, checked.errors
    return checked.values


def picks(usecase, movies: list[int], ratings: str | None = None, count: int = 10) -> dict:
    return clean(usecase, {"movies": movies, "ratings": ratings, "count": count})


# -- contract and data ---------------------------------------------------------------------

def test_satisfies_the_contract(usecase):
    check_contract(usecase, "recommendation")
    assert usecase.task == "recommendation" and usecase.primary_metric == "ndcg_at_10"
    assert [f.name for f in usecase.fields] == ["movies", "ratings", "user_id", "count"]


def test_data_is_cleaned_and_split(dataset):
    raw = movie_data.read_raw()
    train, test = dataset.train, dataset.test
    both = pd.concat([train, test])
    assert list(train.columns) == list(movie_data.COLUMNS) == list(test.columns)
    # Only the ratings of movies without a title are dropped.
    assert len(both) == raw["title"].notna().sum()
    assert not both.isna().any().any()
    assert not both.duplicated(["user_id", "movie_id"]).any()
    assert both["user_id"].nunique() == raw["userId"].nunique()
    assert set(both["rating"]) <= {x / 2 for x in range(1, 11)}
    assert not both["title"].str.contains(r", (?:The|A|An)$").any()
    assert (both["genres"] != "(no genres listed)").all()
    assert both["year"].dtype.kind == "i"
    # Each user's latest fifth is held out, and comes after everything trained on.
    per_user = both.groupby("user_id").size()
    held = test.groupby("user_id").size().reindex(per_user.index, fill_value=0)
    assert (held == np.round(per_user * movie_data.HELD_OUT).astype(int)).all()
    assert (train.groupby("user_id")["timestamp"].max()
            <= test.groupby("user_id")["timestamp"].min().reindex(per_user.index)).all()


def test_catalogue_lists_every_movie_once(dataset):
    movies = movie_data.catalogue(dataset.train, dataset.test)
    assert movies["movie_id"].is_unique
    assert set(movies["movie_id"]) == set(dataset.train["movie_id"]) | set(dataset.test["movie_id"])
    assert list(movies.columns) == list(movie_data.MOVIE_COLUMNS)


def test_fingerprint_is_stable_and_follows_the_data(usecase, dataset):
    assert usecase.load_data().fingerprint == dataset.fingerprint
    changed = usecase.load_data()
    changed.test.iloc[0, changed.test.columns.get_loc("rating")] = 0.5
    assert changed.fingerprint != dataset.fingerprint


# -- metrics and training ------------------------------------------------------------------

def toy_ratings() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three users; movie 3 is the most rated, and user 1 later rates it 5 stars."""
    rows = [(1, 1, 4.0, 1), (2, 1, 3.0, 1), (2, 3, 5.0, 2), (3, 3, 4.0, 1), (3, 2, 2.0, 2)]
    train = pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])
    test = pd.DataFrame([(1, 3, 5.0, 9), (1, 2, 1.0, 9), (2, 2, 4.5, 9)],
                        columns=["user_id", "movie_id", "rating", "timestamp"])
    return train, test


def toy_movies() -> pd.DataFrame:
    return pd.DataFrame({"movie_id": [1, 2, 3, 4], "title": ["A", "B", "C", "D"],
                         "year": [1990, 1991, 1992, 1993],
                         "genres": ["Drama", "Comedy", "", "Drama"]})


def test_metrics_on_a_known_case():
    """Popularity ranks each user's unseen movies by how many rated them: user 1 gets movie 3 and
    user 2 movie 2, both liked later; user 3 has nothing held out and is not ranked."""
    train, test = toy_ratings()
    model = Recommender(ranker="popularity", rating_model="item-mean").fit(train, toy_movies())
    scores = evaluation.held_out_metrics(model, test, k=1)
    assert scores["users_ranked"] == 2
    assert scores["ndcg_at_10"] == pytest.approx(1.0)
    assert scores["precision_at_10"] == pytest.approx(1.0)
    predicted = model.predict_ratings(model.user_profiles(np.array([1, 2])))
    expected = predicted[[0, 0, 1], model.movie_index([3, 2, 2])]
    assert scores["rmse"] == pytest.approx(np.sqrt(np.mean((expected - test["rating"]) ** 2)))


def test_compact_ease_matches_the_direct_formula():
    """The Woodbury form gives the same scores and weights as B = -P / diag(P), diag(B) = 0."""
    rng = np.random.default_rng(0)
    X = (rng.random((30, 12)) < 0.3).astype(float)
    lam = 5.0
    P = np.linalg.inv(X.T @ X + lam * np.eye(12))
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    ease = Ease.fit(sp.csr_matrix(X), lam)
    profile = rng.random((4, 12)) * (rng.random((4, 12)) < 0.4)
    assert ease.scores(sp.csr_matrix(profile)) == pytest.approx(profile @ B, abs=1e-4)
    sources, targets = np.array([0, 3, 5]), np.array([5, 1, 2, 11])
    assert ease.weights(sources, targets) == pytest.approx(B[np.ix_(sources, targets)], abs=1e-4)


def test_training_on_a_sample(usecase, dataset):
    calls = []
    result = usecase.train(dataset.sample(8000, 2000), lambda f, m: calls.append((f, m)))
    assert isinstance(result, TrainedModel)
    assert {row["name"] for row in result.leaderboard} == set(evaluation.candidates())
    for row in result.leaderboard:
        assert 0.0 <= row["cv_score"] <= 1.0 and row["cv_rmse"] > 0 and row["fit_seconds"] >= 0
    assert result.params["algorithm"] == result.leaderboard[0]["name"]
    for key in ("ndcg_at_10", "precision_at_10", "baseline_ndcg_at_10",
                "baseline_precision_at_10"):
        assert 0.0 <= result.metrics[key] <= 1.0
    fractions = [f for f, _ in calls]
    assert len(fractions) >= 4 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(set(fractions)) == len(fractions)
    json.dumps(result.params), json.dumps(result.metrics), json.dumps(result.leaderboard)


def test_quality_floor_on_held_out_ratings(trained):
    metrics = trained.metrics
    assert not shortfalls("recommendation", metrics, metrics["baseline_ndcg_at_10"])
    assert metrics["precision_at_10"] > metrics["baseline_precision_at_10"]
    assert metrics["users_ranked"] > 600


def test_artifact_is_small_and_round_trips(usecase, model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    assert buffer.tell() < 8_000_000
    buffer.seek(0)
    loaded = joblib.load(buffer)
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    assert usecase.predict(loaded, rows) == usecase.predict(model, rows)


# -- inputs ----------------------------------------------------------------------------------

def test_examples_are_valid(usecase, model):
    assert len(usecase.examples) >= 2
    for inputs in usecase.examples.values():
        assert input_errors(model, clean(usecase, inputs)) == {}


@pytest.mark.parametrize("inputs, field", [
    ({"movies": "Alien"}, "movies"),
    ({"movies": ["1214"]}, "movies"),
    ({"movies": [True]}, "movies"),
    ({"movies": []}, "movies"),
    ({"movies": list(range(1, 52))}, "movies"),
    ({"user_id": 0}, "user_id"),
    ({"user_id": 672}, "user_id"),
    ({"user_id": 1.5}, "user_id"),
    ({"user_id": "15"}, "user_id"),
    ({"movies": [1], "count": 0}, "count"),
    ({"movies": [1], "count": 51}, "count"),
    ({"movies": [1], "ratings": 5}, "ratings"),
    ({"movies": [1], "ratings": "5\x00"}, "ratings"),
    ({"movies": [1], "genre": "Drama"}, "genre"),
])
def test_bad_inputs_are_refused(usecase, inputs, field):
    checked = validate(usecase.fields, inputs)
    assert not checked.ok and field in checked.errors


@pytest.mark.parametrize("inputs, field, says", [
    ({}, "movies", "at least one movie"),
    ({"movies": [1, 999_999_999]}, "movies", "999999999"),
    ({"movies": [1], "ratings": "5, 4"}, "ratings", "2 rating(s) for 1"),
    ({"movies": [1], "ratings": "five"}, "ratings", "numbers"),
    ({"movies": [1], "ratings": "6"}, "ratings", "0.5 to 5"),
    ({"movies": [1], "ratings": "4.3"}, "ratings", "half stars"),
    ({"user_id": 15, "ratings": "5"}, "ratings", "for 0 picked"),
])
def test_inputs_the_model_cannot_use(usecase, model, inputs, field, says):
    errors = usecase.check_inputs(model, clean(usecase, inputs))
    assert field in errors and says in errors[field]


def test_unknown_user_is_named(model):
    errors = input_errors(model, {"movies": None, "ratings": None, "user_id": 10_000, "count": 5})
    assert "10000" in errors["user_id"]


def test_form_strings_are_accepted(usecase, model):
    checked = validate(usecase.fields, {"movies": "1, 3114 588", "ratings": "5 4.5;4",
                                        "user_id": "", "count": "5"}, from_form=True)
    assert checked.ok, checked.errors
    assert checked.values["movies"] == [1, 3114, 588] and checked.values["count"] == 5
    assert checked.values["user_id"] is None
    assert input_errors(model, checked.values) == {}


# -- predictions -----------------------------------------------------------------------------

def test_batch_equals_rows_alone(usecase, model):
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    rows.append(picks(usecase, [GODFATHER, ALIEN], "4.5, 2", count=3))
    together = usecase.predict(model, rows)
    alone = [usecase.predict(model, [row])[0] for row in rows]
    assert len(together) == len(rows)
    for a, b in zip(together, alone):
        assert a["output"] == b["output"] and a["summary"] == b["summary"]
        assert [i["predicted_rating"] for i in a["items"]] == pytest.approx(
            [i["predicted_rating"] for i in b["items"]], abs=1e-4)
        assert [e["feature"] for e in a["explanation"]] == [e["feature"] for e in b["explanation"]]
    assert usecase.predict(model, []) == []


def test_prediction_shape(usecase, model):
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    for row, result in zip(rows, usecase.predict(model, rows)):
        json.dumps(result)  # plain JSON types only
        assert len(result["output"]) == row["count"] == len(set(result["output"]))
        assert result["output"] == [item["id"] for item in result["items"]]
        scores = [item["score"] for item in result["items"]]
        assert scores == sorted(scores, reverse=True)
        for item in result["items"]:
            assert set(item) == {"id", "title", "year", "genres", "predicted_rating", "score",
                                 "because"}
            assert 0.5 <= item["predicted_rating"] <= 5.0 and type(item["score"]) is float
        top = result["items"][0]
        assert result["summary"] == f"{row['count']} movies, top: {top['title']} ({top['year']})"


def test_never_recommends_what_the_person_rated(usecase, model, dataset):
    row = clean(usecase, {"user_id": 15, "movies": [GODFATHER], "count": 50})
    seen = set(dataset.train.loc[dataset.train["user_id"] == 15, "movie_id"]) | {GODFATHER}
    assert seen.isdisjoint(usecase.predict(model, [row])[0]["output"])


def test_explanation_is_sorted_and_names_the_picks(usecase, model):
    chosen = [TOY_STORY, GODFATHER, ALIEN]
    result = usecase.predict(model, [picks(usecase, chosen)])[0]
    effects = [item["effect"] for item in result["explanation"]]
    assert 0 < len(effects) <= 6
    assert [abs(e) for e in effects] == sorted((abs(e) for e in effects), reverse=True)
    assert all(type(e) is float for e in effects) and sum(abs(e) for e in effects) <= 1 + 1e-6
    labels = {model.label(int(at)) for at in model.movie_index(chosen)}
    assert {item["feature"].removeprefix("Because you liked ") for item in result["explanation"]
            } == labels
    assert all(item["value"] == "liked" for item in result["explanation"])
    assert all(item["because"] in labels for item in result["items"] if item["because"])


def test_a_pick_lifts_similar_movies(usecase, model):
    """Adding The Godfather to a visitor's picks lifts The Godfather Part II; its sequel-mates
    explain the rise."""
    before = usecase.predict(model, [picks(usecase, [TOY_STORY], count=50)])[0]
    after = usecase.predict(model, [picks(usecase, [TOY_STORY, GODFATHER], count=50)])[0]
    assert GODFATHER_2 in after["output"]
    assert (GODFATHER_2 not in before["output"]
            or after["output"].index(GODFATHER_2) < before["output"].index(GODFATHER_2))
    sequel = after["items"][after["output"].index(GODFATHER_2)]
    assert sequel["because"] == model.label(int(model.movie_index([GODFATHER])[0]))


def test_ratings_move_predicted_stars(usecase, model):
    """The same picks rated high predict higher stars than rated low, and low ratings are not
    called 'liked'."""
    chosen = [TOY_STORY, GODFATHER, ALIEN]
    high = usecase.predict(model, [picks(usecase, chosen, "5, 5, 5", count=5)])[0]
    low = usecase.predict(model, [picks(usecase, chosen, "1, 1, 1", count=5)])[0]
    people = model.profiles([None, None], [chosen, chosen], [[5.0] * 3, [1.0] * 3])
    stars = model.predict_ratings(people)
    assert stars[0].mean() > stars[1].mean() + 0.5
    assert all(item["value"] == 5.0 for item in high["explanation"])
    assert all(item["feature"].startswith("Because you rated") for item in low["explanation"])
    assert all(item["because"] is None for item in low["items"])


def test_known_user_uses_their_history(usecase, model, dataset):
    result = usecase.predict(model, [clean(usecase, {"user_id": 15})])[0]
    titles = set(dataset.train.loc[dataset.train["user_id"] == 15, "title"])
    for item in result["explanation"]:
        title = item["feature"].split(" ", 3)[3].rsplit(" (", 1)[0]
        assert title in titles and isinstance(item["value"], float)
    assert result["for_user"] == 15


# -- the serving path against the reference ---------------------------------------------------

def reference_recommend(model: Recommender, rows: list[dict]) -> list[dict]:
    """The straightforward path serving took before `serving`: Recommender.score over the whole
    catalogue, Ease.weights per row, each row's movies found by masking the whole batch."""
    stars_given = [parse_ratings(row.get("ratings")) for row in rows]
    people = model.profiles([row.get("user_id") for row in rows],
                            [row.get("movies") or [] for row in rows], stars_given)
    ranking, predicted = model.score(people)
    counts = [int(row.get("count") or 10) for row in rows]
    best = model.top(ranking, people, max(counts))
    results = []
    for r, (row, count, stars) in enumerate(zip(rows, counts, stars_given)):
        chosen, mine = best[r, :count], people.rows == r
        sources, given = people.items[mine], people.ratings[mine]
        contributions = None
        if model.ranker == "ease" and len(sources) and len(chosen):
            contributions = (model.ease_.weights(sources, chosen)
                             * model.ranking_weights(people)[mine][:, None])
        items = []
        for j, item in enumerate(chosen.tolist()):
            because = None
            if contributions is not None:
                pull = np.where(given >= LIKED, contributions[:, j], 0.0)
                if pull.max(initial=0.0) > 0:
                    because = model.label(int(sources[pull.argmax()]))
            if round(float(predicted[r, item]), 2) < BECAUSE_MIN_STARS:
                because = None
            items.append({"id": int(model.movie_ids_[item]), "title": model.titles_[item],
                          "year": int(model.years_[item]),
                          "genres": [g for g in model.genres_[item].split("|") if g],
                          "predicted_rating": round(float(predicted[r, item]), 2),
                          "score": float(ranking[r, item]), "because": because})
        picked = row.get("movies") or []
        shown = dict.fromkeys(picked, "liked") if stars is None else dict(zip(picked, stars))
        if contributions is None:
            reason = ("Most rated by the MovieLens users" if model.ranker == "popularity"
                      else "Highest predicted ratings for you")
            explanation = [{"feature": reason, "value": model.ranker, "effect": 1.0}]
        else:
            total = np.abs(contributions).sum()
            shares = contributions.sum(axis=1) / (total if total > 0 else 1.0)
            explanation = []
            for at in np.argsort(-np.abs(shares), kind="stable")[:TOP_EFFECTS].tolist():
                value = shown.get(int(model.movie_ids_[sources[at]]), float(given[at]))
                verb = "rated" if isinstance(value, float) and value < LIKED else "liked"
                explanation.append({"feature": f"Because you {verb} {model.label(sources[at])}",
                                    "value": value, "effect": float(shares[at])})
        results.append({"output": [item["id"] for item in items], "items": items,
                        "summary": (f"{len(items)} movies, top: {items[0]['title']} "
                                    f"({items[0]['year']})" if items
                                    else "No movies to recommend"),
                        "explanation": explanation, "for_user": row.get("user_id")})
    return results


def varied_rows(usecase, model: Recommender, n: int, seed: int) -> list[dict]:
    """Valid inputs of every kind: popular or obscure picks, with or without ratings, known
    users with or without picks, short and long lists."""
    rng = random.Random(seed)
    popular = model.movie_ids_[np.argsort(-model.popularity_, kind="stable")[:1500]].tolist()
    every, users = model.movie_ids_.tolist(), model.users_.tolist()
    rows = []
    for _ in range(n):
        movies = (rng.sample(popular if rng.random() < 0.7 else every, rng.randint(1, 12))
                  if rng.random() < 0.8 else None)
        ratings = (", ".join(str(rng.randint(1, 10) / 2) for _ in movies)
                   if movies and rng.random() < 0.5 else None)
        user = rng.choice(users) if movies is None or rng.random() < 0.3 else None
        rows.append(clean(usecase, {"movies": movies, "ratings": ratings, "user_id": user,
                                    "count": rng.randint(1, 50)}))
    return rows


def assert_same_results(served: list[dict], reference: list[dict]) -> None:
    assert len(served) == len(reference)
    for a, b in zip(served, reference):
        assert (a["output"], a["summary"], a["for_user"]) == (
            b["output"], b["summary"], b["for_user"])
        assert [{k: v for k, v in item.items() if k != "score"} for item in a["items"]] == [
            {k: v for k, v in item.items() if k != "score"} for item in b["items"]]
        assert [i["score"] for i in a["items"]] == pytest.approx(
            [i["score"] for i in b["items"]], rel=0, abs=1e-9)
        assert [(e["feature"], e["value"]) for e in a["explanation"]] == [
            (e["feature"], e["value"]) for e in b["explanation"]]
        assert [e["effect"] for e in a["explanation"]] == pytest.approx(
            [e["effect"] for e in b["explanation"]], rel=0, abs=1e-9)


def test_serving_gives_the_reference_results(usecase, model):
    """Rankings, stars and explanations as the straightforward path gives them, for rows
    alone and in one batch, and the model's artifact is left as it was."""
    rows = [clean(usecase, e) for e in usecase.examples.values()]
    rows += varied_rows(usecase, model, 150, seed=7)
    before = pickle.dumps(model)
    assert_same_results(usecase.predict(model, rows), reference_recommend(model, rows))
    for row in rows[::5]:
        assert_same_results(usecase.predict(model, [row]), reference_recommend(model, [row]))
    assert pickle.dumps(model) == before


@pytest.fixture(scope="module")
def small_models(dataset) -> dict[str, Recommender]:
    """Every candidate, fitted on a sample: the rankers and rating models the winner is not."""
    sample = dataset.sample(8000, 100, seed=3)
    movies = movie_data.catalogue(sample.train, sample.test)
    return {name: candidate.fit(sample.train, movies)
            for name, candidate in evaluation.candidates().items()}


@pytest.mark.parametrize("name", list(evaluation.candidates()))
def test_serving_gives_the_reference_results_for_every_candidate(usecase, small_models, name):
    model = small_models[name]
    rows = varied_rows(usecase, model, 40, seed=8)
    assert_same_results(usecase.predict(model, rows), reference_recommend(model, rows))
    assert_same_results(usecase.predict(model, rows[:1]), reference_recommend(model, rows[:1]))


def test_serving_follows_a_refit(usecase, dataset):
    """What serving prepares from a model is made again when the model is refitted."""
    model = Recommender()
    for seed in (4, 5):
        sample = dataset.sample(6000, 100, seed=seed)
        model.fit(sample.train, movie_data.catalogue(sample.train, sample.test))
        rows = varied_rows(usecase, model, 10, seed=seed)
        assert_same_results(usecase.predict(model, rows), reference_recommend(model, rows))



def edge_rows(model: Recommender) -> list[dict]:
    """Inputs at the edges of what predict gets: one pick, the most picks the form allows,
    the most rated movies, movies nobody rated in training, the user with the longest
    history, lists of 1 and 50. (No repeated picks: the form drops them.)"""
    rng = random.Random(5)
    ids, users = model.movie_ids_.tolist(), model.users_.tolist()
    popular = model.movie_ids_[np.argsort(-model.popularity_, kind="stable")].tolist()
    unrated = model.movie_ids_[model.popularity_ == 0].tolist()
    longest = users[int(np.argmax(np.diff(model.user_ptr_)))]
    rows = [{"movies": [rng.choice(ids)], "count": 1},
            {"movies": rng.sample(ids, 50), "count": 50},
            {"movies": popular[:50], "ratings": ", ".join(["5", "1"] * 25), "count": 50},
            {"user_id": longest, "count": 50},
            {"user_id": longest, "movies": popular[:5], "ratings": "1, 2, 3, 4, 5"},
            {"user_id": rng.choice(users), "count": 1}]
    if unrated:
        rows += [{"movies": unrated[:3], "count": 50},
                 {"movies": unrated[:1] + popular[:1], "ratings": "0.5, 5", "count": 20}]
    return [{"movies": None, "ratings": None, "user_id": None} | row for row in rows]


@pytest.mark.parametrize("count", [10, 50])
def test_batch_and_single_rows_give_the_same_results(usecase, model, count):
    """A batch is summed differently from a lone row (scipy's products, or padded running
    sums): both give the reference's results. One count for all rows, as the reference's
    choice among tied movies depends on the longest list asked for in the batch."""
    rows = [row | {"count": count}
            for row in edge_rows(model) + varied_rows(usecase, model, 60, seed=9)]
    together = usecase.predict(model, rows)
    assert_same_results(together, reference_recommend(model, rows))
    assert_same_results(together, [usecase.predict(model, [row])[0] for row in rows])


@pytest.mark.parametrize("name", list(evaluation.candidates()))
def test_edge_inputs_give_the_reference_results(usecase, small_models, name):
    model = small_models[name]
    rows = edge_rows(model)
    assert_same_results(usecase.predict(model, rows), reference_recommend(model, rows))
    for row in rows:
        assert_same_results(usecase.predict(model, [row]), reference_recommend(model, [row]))


@pytest.mark.parametrize("row, says", [
    ({"movies": [1, 999_999_999]}, "unknown movie"),
    ({"user_id": 10_000}, "unknown user"),
    ({"movies": [1, 3114], "ratings": "5"}, "1 ratings for 2"),
])
def test_predict_refuses_what_the_model_cannot_use(usecase, model, row, says):
    """As Recommender.profiles does, for callers that skip check_inputs."""
    with pytest.raises(ValueError, match=says):
        usecase.predict(model, [{"movies": None, "ratings": None, "user_id": None} | row])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("longest", [1, 6, 40, 400])
def test_run_sums_add_as_scipy_does(dtype, longest):
    """Padded running sums (and scipy, for long runs) equal scipy's CSR product bit for bit,
    for empty runs, a lone run, weights, a single column and a transposed table."""
    rng = np.random.default_rng(longest)
    for case in range(40):
        runs, width = (1, 3) if case % 5 == 0 else (int(rng.integers(1, 30)), 1 + case % 17)
        table = (rng.normal(size=(300, width)) * rng.choice([1e-3, 1, 1e3], (300, 1)))
        table = (table if case % 2 else np.asfortranarray(table)).astype(dtype)
        column = rng.integers(0, 300, 5000)
        lo = rng.integers(0, 4000, runs)
        hi = lo + rng.integers(0, longest + 1, runs)
        weights = rng.normal(size=5000).astype(dtype) if case % 3 == 0 else None
        ptr = np.concatenate(([0], np.cumsum(hi - lo)))
        entries = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]).astype(int)
        data = np.ones(len(entries), dtype) if weights is None else weights[entries]
        expected = sp.csr_matrix((data, column[entries], ptr), shape=(runs, 300)) @ table
        summed = run_sums(table, column, lo, hi, weights)
        assert summed.dtype == dtype and summed.flags.c_contiguous
        assert np.array_equal(summed, expected)


def test_top_is_the_reference_top_even_with_ties():
    """Serving's search for each person's best gives Recommender.top's list, also when
    scores tie (then argpartition's choice decides, as in the reference)."""
    rng = np.random.default_rng(0)
    for case in range(200):
        n_rows, n_items = int(rng.integers(1, 5)), int(rng.integers(20, 3000))
        levels = [3, 10, 100, 10_000, 10**9][case % 5]
        ranking = (rng.integers(0, levels, (n_rows, n_items)) / levels).astype(np.float32)
        rated = int(rng.integers(0, n_items // 3))
        people = Profiles(np.repeat(np.arange(n_rows), rated),
                          rng.integers(0, n_items, n_rows * rated), np.ones(n_rows * rated),
                          np.zeros(n_rows * rated), n_rows)
        count = int(rng.integers(1, 60))
        assert np.array_equal(serving.top(np.negative(ranking), people, count),
                              Recommender.top(None, ranking, people, count))

# -- search ----------------------------------------------------------------------------------

def test_search_finds_titles_in_any_case(model):
    found = model.search("GODFATHER")
    assert found == model.search("godfather") and 1 <= len(found) <= 20
    assert all("godfather" in movie["title"].lower() for movie in found)
    assert found[0] == {"id": GODFATHER, "title": "The Godfather", "year": 1972}
    assert model.search("alien")[0]["title"] == "Alien"     # the exact title first
    assert len(model.search("the", limit=7)) == 7
    assert model.search("  ") == [] and model.search("no such movie xyz") == []


@pytest.fixture
def search_client(usecase, model, monkeypatch):
    """The use case's blueprint on a bare app, the production model replaced by the trained one."""
    from registry import serving

    monkeypatch.setattr(serving, "production_model", lambda name: (1, model))
    app = flask.Flask(__name__)
    app.register_blueprint(usecase.blueprint(), url_prefix="/usecases/recommendation")
    return app.test_client()


def test_search_route(search_client, usecase):
    response = search_client.get("/usecases/recommendation/movies?q=matrix")
    assert response.status_code == 200
    movies = response.get_json()
    assert movies and all("matrix" in m["title"].lower() and set(m) == {"id", "title", "year"}
                          for m in movies)
    assert search_client.get("/usecases/recommendation/movies").get_json() == []
    field = next(f for f in usecase.fields if f.name == "movies")
    with search_client.application.test_request_context():
        assert flask.url_for(field.search_endpoint, q="x").startswith(
            "/usecases/recommendation/movies")


def test_search_route_without_a_model(usecase, monkeypatch):
    from registry import serving

    def unavailable(name):
        raise serving.ModelUnavailable(f"{name} has no production model yet")

    monkeypatch.setattr(serving, "production_model", unavailable)
    app = flask.Flask(__name__)
    app.register_blueprint(usecase.blueprint(), url_prefix="/usecases/recommendation")
    response = app.test_client().get("/usecases/recommendation/movies?q=alien")
    assert response.status_code == 503 and "error" in response.get_json()


# -- result fragment -------------------------------------------------------------------------

def render(usecase, result, inputs) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([TEMPLATES, PORTAL_TEMPLATES]), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template(usecase.result_template).render(result=result, usecase=usecase,
                                                            inputs=inputs)


def test_result_fragment(usecase, model):
    row = clean(usecase, usecase.examples["Family animation, with ratings"])
    result = usecase.predict(model, [row])[0]
    html = render(usecase, result, row)
    for item in result["items"]:
        assert str(jinja2.utils.markupsafe.escape(item["title"])) in html
        assert f"{item['predicted_rating']:.1f}" in html
    # Two meters per movie: its match (a share of the first movie's score) and its stars.
    assert html.count('<meter min="0" max="1"') == len(result["items"])
    assert html.count('<meter min="0.5" max="5"') == len(result["items"])
    shares = [float(v) for v in re.findall(r'<meter min="0" max="1" value="([0-9.]+)"', html)]
    assert shares[0] == 1.0 and shares == sorted(shares, reverse=True)
    assert html.count('class="effect-bar"') == len(result["explanation"])
    assert "Because you liked" in html
    assert "style=" not in html and "<script" not in html and "<html" not in html


def test_result_fragment_escapes(usecase, model):
    result = usecase.predict(model, [clean(usecase, {"user_id": 15, "count": 3})])[0]
    result["items"][0]["title"] = "<b>x</b>"
    result["explanation"][0]["feature"] = "<i>y</i>"
    html = render(usecase, result, {})
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<i>y</i>" not in html and "For MovieLens user 15" in html
