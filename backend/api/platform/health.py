from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from backend.extensions import db
from backend.platform.queue import redis_ok

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Database and Redis reachability, for load balancers and the run script."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError:
        database = "unreachable"
    finally:
        db.session.rollback()
    redis = "ok" if redis_ok() else "unreachable"
    body = {"database": database, "redis": redis, "jobs": "rq" if redis == "ok" else "inline"}
    # Without Redis the app still works (jobs run inline), so only the database decides the status.
    return jsonify(body), 200 if database == "ok" else 503
