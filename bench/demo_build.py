"""How long the demo college takes to build (issue goal: 20,000 students in under a minute on SQLite).

    .venv/bin/python bench/demo_build.py --students 20000

Builds into a fresh SQLite file (or DATABASE_URL if set) and prints the figures;
the last line is one JSON object.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="spiral-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance}/bench.db"

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from backend import create_app, demo
    from backend.extensions import db
    from backend.models import RoleGrant, User

    app = create_app(SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=instance)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        demo.build(args.students, args.seed, date.today())
        db.session.commit()
        seconds = time.perf_counter() - started
        users = db.session.scalar(select(func.count()).select_from(User))
        grants = db.session.scalar(select(func.count()).select_from(RoleGrant))
    print(f"database        {url.split(':')[0]}")
    print(f"students        {args.students}")
    print(f"users, grants   {users}, {grants}")
    print(f"build seconds   {seconds:.2f}  (goal < 60)")
    print(json.dumps({"students": args.students, "seconds": round(seconds, 2), "users": users,
                      "goal_ratio": round(seconds / 60, 3)}))


if __name__ == "__main__":
    main()
