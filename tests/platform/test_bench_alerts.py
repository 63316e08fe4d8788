"""The warning-quality benchmark (bench/alerts.py) still runs end to end: a small college over
three weeks, through the real services and jobs, ends with one JSON line of sane figures.
A smoke test only: the figures themselves are the benchmark's business, not a test's."""
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DBS

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"precision", "recall", "onset_to_warning_days_median", "pushes_per_counsellor_week_max",
        "pushes_per_counsellor_week_median", "standing_on_reversed", "raised_on_reversed", "students", "days",
        "warnings", "planted", "caught", "seconds", "by_category", "by_kind", "false_positive_causes", "missed"}
_n = itertools.count()


@pytest.fixture(params=DBS)
def db_arg(request):
    """--db for the script: SQLite (its own temp file) or an empty PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite"
        return
    pg = request.getfixturevalue("postgres_server")
    admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
    name = f"bench_alerts{next(_n)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield pg.url(name)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_the_benchmark_runs_a_small_term_and_ends_with_its_figures(tmp_path, db_arg):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "alerts.py"), "--students", "60", "--weeks", "3",
                           "--db", db_arg],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(figures)
    assert figures["students"] == 60 and figures["days"] == 21 and figures["weeks"] == 3
    assert figures["planted"] > 0 and 0 <= figures["caught"] <= figures["planted"]
    assert figures["mass_events"] >= 2  # a mistaken close and a wrong-class batch at least
    for key in ("precision", "recall"):
        assert figures[key] is None or 0 <= figures[key] <= 1
    assert figures["onset_to_warning_days_median"] is None or 0 <= figures["onset_to_warning_days_median"] <= 21
    assert 0 <= figures["pushes_per_counsellor_week_median"] <= figures["pushes_per_counsellor_week_max"]
    assert 0 <= figures["standing_on_reversed"] <= figures["raised_on_reversed"]
    assert figures["true_positives"] + figures["false_positives"] == figures["warnings"]
    # The printed report comes first: the goals are named, met or missed.
    assert "precision" in done.stdout and "goal" in done.stdout
