"""Write latency of a whole-class batch with Redis up vs stopped: with the outbox nothing runs
inline, so the two should match (before issue 19, a Redis outage made writes ~7x slower).

    .venv/bin/python bench/outbox_write.py

SQLite, a 400-student college, two classes, batches alternating three with Redis up and three with
it stopped; prints p50 and p90 of each (Redis down ÷ up, lower is better, 1.0 is the goal)."""
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from flask_migrate import upgrade

from backend.extensions import db
from tests.conftest import make_app
from tests.helpers import TODAY, build_college, demo_account, login
from tests.reporting.test_rollups import OFFICE, classes_of_one_department
from tests.servers import RedisServer

redis = RedisServer()
inst = tempfile.mkdtemp()
app = make_app(f"sqlite:///{inst}/m.db", inst, redis.url,
               CLOCK_START=datetime.combine(TODAY, dtime(10), ZoneInfo("Asia/Shanghai")))
with app.app_context():
    upgrade()
    build_college(students=400)
    classes = [c for c in classes_of_one_department(2)]
    db.session.rollback()
    client = app.test_client()
    office = login(client, demo_account(OFFICE))
    db.session.rollback()

    def batch(week, roster):
        t = time.perf_counter()
        r = client.post("/api/v1/entries", headers={**office, "Idempotency-Key": str(uuid.uuid4())},
                        json={"point": "S-P-09", "period": f"week:{week}", "entries": [{"student_id": s, "value": 80 + week % 10} for s in roster]})
        assert r.status_code == 201, r.json
        db.session.rollback()
        return time.perf_counter() - t

    batch(20, classes[0][1])  # warm
    up, down = [], []
    for cid, roster in classes:
        for w0 in range(1, 19, 6):
            up += [batch(w, roster) for w in range(w0, w0 + 3)]
            redis.stop()
            down += [batch(w, roster) for w in range(w0 + 3, w0 + 6)]
            redis.start()
    print(f"classes of {[len(r) for _, r in classes]}: p50 Redis up {statistics.median(up)*1000:.1f} ms, Redis down {statistics.median(down)*1000:.1f} ms "
          f"(n={len(up)} each); p90 up {sorted(up)[int(.9*len(up))]*1000:.1f} ms, down {sorted(down)[int(.9*len(down))]*1000:.1f} ms")
    print(f"down_vs_up_p50 (Redis down ÷ up, lower is better, goal 1.0): {statistics.median(down) / statistics.median(up):.2f}")
redis.close()
