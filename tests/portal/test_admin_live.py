"""The live evidence an admin reads: live metrics beside each version on the use case's page, a
page per version with every figure, its interval and count, calibration and the days; and the
input drift page."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from registry import outcomes, serving
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
    for name in ("accuracy", "precision", "recall", "roc_auc"):
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
