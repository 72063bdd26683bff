"""PostgreSQL only: single predictions stored through the thread's own connection."""
import pytest
import sqlalchemy as sa

from registry import predictions
from registry.database import db, unavailable
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
