"""PostgreSQL only: single predictions stored through the thread's own connection."""
import psycopg
import pytest
import sqlalchemy as sa

from registry import predictions
from registry.database import db, unavailable, utcnow
from registry.models import Prediction
from registry.postgresql import inserts
from tests.conftest import migrated_app, register_dummy


@pytest.fixture
def app(tmp_path):
    app = migrated_app(tmp_path / "instance", "postgresql")
    with app.app_context():
        register_dummy("toy")
    return app


def store(value):
    return predictions.record("toy", 1, 1, [{"x": value}], [{"output": value}],
                              latency_ms=1.0, source="api")


def test_a_single_prediction_takes_the_own_connection_and_reads_back_the_same(app):
    with app.app_context():
        ids = [store(v)[0] for v in (7.0, "label", [1, 2])]
        own = inserts.own_connection(db.engine)
        assert own.autocommit and ids == sorted(ids)
        rows = db.session.scalars(sa.select(Prediction).order_by(Prediction.id)).all()
    assert [(r.id, r.inputs, r.output) for r in rows] == [
        (ids[0], {"x": 7.0}, 7.0), (ids[1], {"x": "label"}, "label"),
        (ids[2], {"x": [1, 2]}, [1, 2])]


def test_a_connection_the_server_ended_is_a_database_error_then_replaced(app):
    """A restart ends the thread's connection: that one write fails as a database that is
    unavailable (503 for the caller), and the next one connects anew."""
    with app.app_context():
        store(1.0)
        own = inserts.own_connection(db.engine)
        db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": own.info.backend_pid})
        db.session.commit()
        with pytest.raises(sa.exc.DBAPIError) as failed:
            store(2.0)
        assert unavailable(failed.value)
        assert store(3.0) and inserts.own_connection(db.engine) is not own
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Prediction)) == 2


def test_every_column_reads_back_exactly_as_given(app):
    """The values go as text: floats to the last bit, times to the microsecond, text in any
    script."""
    with app.app_context():
        [made] = predictions.record("toy", 1, 1, [{"x": "crème brûlée 🍮"}],
                                    [{"output": 0.1 + 0.2, "summary": "Ünïcode ✓"}],
                                    latency_ms=2.0 / 3, source="api")
        [named] = predictions.record("toy", 1, 1, [{"x": 1}], [{
            "output": "très bien", "probabilities": {"très bien": 1 / 3, "bof": 2 / 3}}],
            latency_ms=1e-300, source="batch")
        rows = {r.id: r for r in db.session.scalars(sa.select(Prediction))}
    first, second = rows[made], rows[named]
    assert (first.output_value, first.probability, first.latency_ms) == (
        0.1 + 0.2, None, round(2.0 / 3, 3))
    assert (first.inputs, first.summary, first.output_label) == (
        {"x": "crème brûlée 🍮"}, "Ünïcode ✓", None)
    assert (second.output_label, second.output_value, second.probability, second.source) == (
        "très bien", None, 1 / 3, "batch")
    assert second.latency_ms == 0.0 and first.created_at <= second.created_at


def test_a_nul_in_text_is_refused_as_bad_data_not_cut_short(app):
    """libpq sends text up to a NUL: the write is refused instead (a bug, never a 503) and the
    connection serves the next one; so is text the connection's encoding cannot carry.
    (predictions.record drops NULs first, as SQLite would keep them.)"""
    with app.app_context():
        fixed = ("toy", 1, 1, utcnow(), 1.0, "api")
        for label in ("cut\x00here", "half a pair \ud800"):  # the second cannot be UTF-8
            with pytest.raises(sa.exc.DBAPIError) as failed:
                inserts.insert(db.engine, fixed, ({"x": 1}, "cut", "s", None, label, None))
            assert isinstance(failed.value.orig, psycopg.DataError)
            assert not unavailable(failed.value)
        assert store(2.0)
        assert db.session.scalar(sa.select(Prediction.output_label)) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Prediction)) == 1


def test_a_statement_the_server_refuses_raises_its_own_error_class(app):
    """The server's SQLSTATE picks psycopg's class (here a foreign key violation), so the error
    pages tell it from a server that is away."""
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as failed:
            predictions.record("toy", 999, 1, [{"x": 1}], [{"output": 1.0}],
                               latency_ms=1.0, source="api")
        assert isinstance(failed.value.orig, psycopg.errors.ForeignKeyViolation)
        assert failed.value.orig.sqlstate == "23503" and not unavailable(failed.value)
        assert store(3.0)
