"""The live metrics an admin reads: beside each version on the use case's page, and a page per
version with every figure, its interval and count, calibration and the days."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from registry import outcomes, serving
from registry.database import db, utcnow
from registry.models import Prediction
from tests.labelled import new_patients

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
