"""The live evidence an admin reads: live metrics beside each version on the use case's page, a
page per version with every figure, its interval and count, calibration and the days; the
input drift page; and the challenger page."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from registry import outcomes, serving
from registry.monitoring import challenger
from tests.conftest import add_copy_of_production
from registry.database import db, utcnow
from registry.models import Prediction
from tests.labelled import new_patients, predict_held_out_then_older

NAME = "heart-disease"


def labelled(app, count: int) -> list[int]:
    patients = new_patients(app, count, seed=11)
    with app.app_context():
        made = serving.predict(NAME, [{k: v for k, v in p.items() if k != "diagnosis"}
                                      for p in patients], source="form")
        outcomes.record_many(zip(made.prediction_ids, [p["diagnosis"] for p in patients]),
                             "ann")
        return made.prediction_ids


def text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_the_usecase_page_shows_each_versions_live_figure_beside_its_held_out_one(
        as_admin, app):
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    assert "no outcomes yet" in page
    labelled(app, 40)
    page = as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True)
    cell = re.search(r'<td class="live">(.*?)</td>', page, re.S).group(1)
    assert re.search(r"roc_auc \d\.\d{3} \(\d\.\d{3}–\d\.\d{3}\) n=40", text(cell)), cell
    assert f"/admin/models/{NAME}/versions/1/live" in cell


def test_the_live_page_lists_figures_calibration_and_days(as_admin, app):
    ids = labelled(app, 30)
    with app.app_context():
        db.session.execute(sa.update(Prediction).where(Prediction.id.in_(ids[:10]))
                           .values(created_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    answer = as_admin.get(f"/admin/models/{NAME}/versions/1/live")
    assert answer.status_code == 200
    shown = text(answer.get_data(as_text=True))
    assert "30 labelled predictions" in shown
    for name in ("Accuracy", "Precision", "Recall", "ROC AUC"):  # names in words
        assert re.search(rf"{name} \d\.\d{{3}} \(\d\.\d{{3}}–\d\.\d{{3}}\) \d+ \d", shown), name
    assert 'Predicted probability of "disease"' in shown
    today, yesterday = utcnow().date(), (utcnow() - timedelta(days=1)).date()
    assert re.search(rf"{today} 20 .*{yesterday} 10 ", shown)  # newest day first
    one_day = text(as_admin.get(f"/admin/models/{NAME}/versions/1/live?since={today}")
                   .get_data(as_text=True))
    assert "20 labelled predictions" in one_day


def test_bad_days_are_named_and_unknown_versions_are_not_found(as_admin, app):
    answer = as_admin.get(f"/admin/models/{NAME}/versions/1/live?since=yesterday")
    assert answer.status_code == 422
    assert "must be a date like 2026-01-31" in answer.get_data(as_text=True)
    assert as_admin.get(f"/admin/models/{NAME}/versions/99/live").status_code == 404
    assert as_admin.get("/admin/models/nothing/versions/1/live").status_code == 404


def test_the_page_shows_each_fields_status_and_both_distributions(as_admin, app):
    older_patients = predict_held_out_then_older(app)
    answer = as_admin.get(f"/admin/models/{NAME}/drift?last={older_patients}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    row = re.search(r'<tr id="field-age" class="drifting">(.*?)</tr>', page, re.S).group(1)
    assert "drifting" in row and "Kolmogorov-Smirnov" in row
    assert '<tr id="field-sex" class="">' in page
    assert "Not drifting: 1 of 13 fields differ" in page
    assert page.count('<figure class="chart">') == 13
    assert 'class="bar reference"' in page and 'class="bar live"' in page
    bad = as_admin.get(f"/admin/models/{NAME}/drift?last=lots")
    assert bad.status_code == 422 and "must be a whole number" in bad.get_data(as_text=True)


def test_the_page_names_shows_and_stops_a_challenger(as_admin, app):
    with app.app_context():
        number = add_copy_of_production(NAME)
    client = as_admin
    page = f"/admin/models/{NAME}/challenger"
    refused = client.post(page, data={"version": number, "share": "2"})
    assert refused.status_code == 400 and "Give a fraction from 0 to 1." in \
        refused.get_data(as_text=True)
    assert client.post(page, data={"version": number, "share": "1"}).status_code == 302
    example = next(iter(app.extensions["modelhub.usecases"][NAME].examples.values()))
    client.post(f"/api/v1/usecases/{NAME}/predict", json={"inputs": [example] * 4})
    with app.app_context():
        challenger.shadow().drain()
    shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(page).get_data(as_text=True)))
    assert f"v{number} scores 100% of live predictions" in shown
    assert "100.0% agreement on 4 live predictions" in shown
    assert client.post(f"{page}/end").status_code == 302
    assert "Name a challenger" in client.get(page).get_data(as_text=True)


def test_the_promote_page_applies_the_policy_and_marks_an_override(as_admin, app):
    with app.app_context():
        number = add_copy_of_production(NAME)
    page = f"/admin/models/{NAME}/challenger"
    assert as_admin.post(f"/admin/models/{NAME}/policy",
                         data={"min_labelled": "-3"}).status_code == 400
    assert as_admin.post(f"/admin/models/{NAME}/policy",
                         data={"min_labelled": "30", "not_worse": "y"}).status_code == 302
    assert 'value="30"' in as_admin.get(page).get_data(as_text=True)
    promote = f"/admin/models/{NAME}/versions/{number}/promote"
    shown = text(as_admin.get(promote).get_data(as_text=True))
    assert "Not met: 0 labelled predictions scored by both versions (the policy asks for 30)" \
        in shown
    assert "Both were measured on the same held-out rows." in shown
    assert "Promote against the promotion policy" in shown
    refused = as_admin.post(promote, data={"reason": "why not"})
    assert refused.status_code == 409 and "promote anyway" in refused.get_data(as_text=True)
    assert as_admin.post(promote, data={"reason": "hotfix", "override": "y"}).status_code == 302
    trail = text(as_admin.get(f"/admin/models/{NAME}").get_data(as_text=True))
    assert "hotfix against the policy" in trail
    assert as_admin.post(f"/admin/models/{NAME}/policy", data={"clear": "1"}).status_code == 302
    assert "Set a policy" in as_admin.get(page).get_data(as_text=True)


def test_the_webhooks_page_registers_shows_the_secret_once_and_removes(as_admin, app):
    page = f"/admin/models/{NAME}/webhooks"
    refused = as_admin.post(page, data={"url": "ftp://example.org/x"})
    assert refused.status_code == 400 and "http:// or https://" in refused.get_data(as_text=True)
    made = as_admin.post(page, data={"url": "http://127.0.0.1:9/hook", "events": ["promotion"]})
    assert made.status_code == 201
    secret = re.search(r'<code class="secret">([0-9a-f]{64})</code>',
                       made.get_data(as_text=True)).group(1)
    again = as_admin.get(page).get_data(as_text=True)
    assert secret not in again and "http://127.0.0.1:9/hook" in again
    hook = re.search(r'id="webhook-(\d+)"', again).group(1)
    assert as_admin.post(f"{page}/{hook}/remove").status_code == 302
    assert "No address is registered." in as_admin.get(page).get_data(as_text=True)
