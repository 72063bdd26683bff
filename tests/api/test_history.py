"""GET /predictions and /predictions.csv: the history with the history page's filters."""
import csv
import io

import pytest

from usecases import discover

from tests.api.conftest import assert_documented, assert_error, bearer

NAMES = sorted(discover())


@pytest.fixture
def analyst(tokens):
    return bearer(tokens["analyst"])


@pytest.fixture
def made(client, app):
    """Three API predictions and one batch of two for the first use case, one for the last."""
    example = next(iter(app.extensions["modelhub.usecases"][NAMES[0]].examples.values()))
    url = f"/api/v1/usecases/{NAMES[0]}/predict"
    ids = [client.post(url, json={"inputs": example}).get_json()["prediction"]["id"]
           for _ in range(3)]
    batch = client.post(url, json={"inputs": [example, example]}).get_json()
    ids += [p["id"] for p in batch["predictions"]]
    other = next(iter(app.extensions["modelhub.usecases"][NAMES[-1]].examples.values()))
    ids.append(client.post(f"/api/v1/usecases/{NAMES[-1]}/predict",
                           json={"inputs": other}).get_json()["prediction"]["id"])
    return ids


def test_history_is_newest_first_and_pages_with_a_cursor(client, analyst, made, spec):
    seen, cursor = [], None
    while True:
        query = {"limit": 4} | ({"before": cursor} if cursor else {})
        page = assert_documented(spec, "/predictions", "get",
                                 client.get("/api/v1/predictions", query_string=query,
                                            headers=analyst))
        seen += [p["id"] for p in page["predictions"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)


@pytest.mark.parametrize("query, count", [({"source": "batch"}, 2), ({"source": "api"}, 4),
                                          ({"usecase": NAMES[0]}, 5), ({"version": "1"}, 6),
                                          ({"version": "2"}, 0), ({"since": "2000-01-01"}, 6),
                                          ({"until": "2000-01-01"}, 0)])
def test_filters_are_the_history_pages(client, analyst, made, query, count):
    page = client.get("/api/v1/predictions", query_string=query, headers=analyst).get_json()
    assert len(page["predictions"]) == count
    for key, value in query.items():
        if key in ("source", "usecase"):
            assert {p[key] for p in page["predictions"]} <= {value}


FILTERS = [({"source": "telepathy"}, "source"), ({"version": "one"}, "version"),
           ({"usecase": "nope"}, "usecase"), ({"since": "yesterday"}, "since"),
           ({"since": "2030-01-02", "until": "2030-01-01"}, "until")]
PAGING = [({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "١٢"}, "limit"),
          ({"before": "x"}, "before"), ({"before": "99999999999999999999"}, "before")]


@pytest.mark.parametrize("query, field", FILTERS + PAGING)
def test_invalid_filters_are_422_naming_them(client, analyst, spec, query, field):
    response = client.get("/api/v1/predictions", query_string=query, headers=analyst)
    assert field in assert_error(response, 422, "invalid_query")["fields"]
    assert_documented(spec, "/predictions", "get", response)


@pytest.mark.parametrize("query, field", FILTERS)
def test_invalid_filters_of_the_export_are_422_in_json(client, analyst, spec, query, field):
    response = client.get("/api/v1/predictions.csv", query_string=query, headers=analyst)
    assert field in assert_error(response, 422, "invalid_query")["fields"]
    assert_documented(spec, "/predictions.csv", "get", response)


def test_csv_export_streams_the_filtered_history(client, analyst, made):
    response = client.get("/api/v1/predictions.csv", query_string={"usecase": NAMES[0]},
                          headers=analyst)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == sorted(made[:5], reverse=True)
    assert {row["source"] for row in rows} == {"api", "batch"}


@pytest.fixture
def outcomes_of(client, analyst):
    """Record outcomes through the API: {prediction id: value}."""
    def record(values):
        for prediction_id, value in values.items():
            response = client.post(f"/api/v1/predictions/{prediction_id}/outcome",
                                   json={"outcome": value}, headers=analyst)
            assert response.status_code == 201, response.get_json()
    return record


def test_each_prediction_carries_its_current_outcome(client, analyst, made, spec, outcomes_of):
    outcomes_of({made[0]: "disease", made[1]: "no disease", made[5]: 512})
    outcomes_of({made[1]: "disease"})  # a correction: the current value is shown
    page = assert_documented(spec, "/predictions", "get",
                             client.get("/api/v1/predictions", headers=analyst))
    shown = {p["id"]: p["outcome"] for p in page["predictions"]}
    assert shown == {made[0]: "disease", made[1]: "disease", made[2]: None, made[3]: None,
                     made[4]: None, made[5]: 512}


@pytest.mark.parametrize("query, picked", [
    ({"outcome": "recorded"}, [0, 1, 5]), ({"outcome": "missing"}, [2, 3, 4]),
    ({"outcome": "disease"}, [1]), ({"outcome": "no disease"}, [0]),
    ({"outcome": "recorded", "usecase": NAMES[-1]}, [5]),
    ({"outcome": "missing", "source": "batch"}, [3, 4])])
def test_the_outcome_filter_picks_recorded_missing_or_a_value(client, analyst, made, outcomes_of,
                                                               query, picked):
    outcomes_of({made[0]: "no disease", made[1]: "disease", made[5]: 512})
    page = client.get("/api/v1/predictions", query_string=query, headers=analyst).get_json()
    assert [p["id"] for p in page["predictions"]] == sorted((made[i] for i in picked),
                                                            reverse=True)
    export = client.get("/api/v1/predictions.csv", query_string=query, headers=analyst)
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == [p["id"] for p in page["predictions"]]
    assert [row["outcome"] for row in rows] == [
        "" if p["outcome"] is None else str(p["outcome"]) for p in page["predictions"]]


@pytest.mark.parametrize("query", [{"outcome": "perhaps"}, {"outcome": "512"},
                                   {"outcome": "disease", "usecase": NAMES[-1]},
                                   {"outcome": "great", "usecase": NAMES[0]}])
def test_an_outcome_the_use_case_cannot_have_is_422(client, analyst, spec, query):
    for url, path in (("/api/v1/predictions", "/predictions"),
                      ("/api/v1/predictions.csv", "/predictions.csv")):
        response = client.get(url, query_string=query, headers=analyst)
        assert "recorded, missing" in assert_error(response, 422, "invalid_query")["fields"][
            "outcome"]
        assert_documented(spec, path, "get", response)


def test_the_csv_writes_what_the_json_api_gives_as_plain_cells(client, analyst, made):
    """Times as the JSON history writes them, the output and each input as plain values."""
    query = {"usecase": NAMES[0]}
    listed = client.get("/api/v1/predictions", query_string=query, headers=analyst).get_json()
    export = client.get("/api/v1/predictions.csv", query_string=query, headers=analyst)
    reader = csv.DictReader(io.StringIO(export.get_data(as_text=True)))
    rows = list(reader)
    by_id = {p["id"]: p for p in listed["predictions"]}
    assert [int(row["id"]) for row in rows] == list(by_id)

    def plain(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return " ".join(map(str, value))
        return str(value)

    for row in rows:
        given = by_id[int(row["id"])]
        assert row["created_at"] == given["created_at"]
        assert row["output"] == plain(given["output"])
        assert {name: row[name] for name in given["inputs"]} == {
            name: plain(value) for name, value in given["inputs"].items()}
    assert "inputs" not in reader.fieldnames
