"""`flask backup` while whole-class batches keep arriving through a real threaded server, `flask restore`
into a fresh database and a fresh instance folder: the restored ledger is the manifest's to the row and
checksum, attachments come back byte for byte, `rollups check` is clean, a login works. A damaged or
edited backup, one from newer code and a restore over data without --force are refused with a message
that says so, and nothing is changed."""
import io
import itertools
import json
import os
import tarfile
import threading
import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from backend.extensions import db
from backend.models import Attachment, ClassGroup, ScoreEntry, StudentProfile
from backend.platform import backup
from tests.conftest import make_app
from tests.helpers import TODAY, build_college, demo_account, login, served, writing

OFFICE = "T10002"  # the demo's school-wide student-affairs office: scores S-P-09 (dorm) in every class, weekly
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
START = datetime.combine(TODAY, time(10), ZoneInfo("Asia/Shanghai"))
NO_REDIS = "redis://127.0.0.1:1/0"


def jpeg() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 20)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def school(app, client):
    accounts = build_college(students=120)
    classes = [(c, db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == c)).all())
               for c in db.session.scalars(select(ClassGroup.id).order_by(ClassGroup.id))]
    db.session.rollback()
    head = login(client, accounts["head_teacher"])
    item = client.post("/api/v1/me/portfolio", headers=writing(head), json={
        "kind": "certificate", "title": "双师资格证书", "occurred_on": "2026-10-20"}).json
    files = {"结业证书.pdf": PDF, "现场照片.jpg": jpeg()}
    for name, data in files.items():
        sent = client.post(f"/api/v1/portfolio/{item['id']}/attachments", headers=head,
                           data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert sent.status_code == 201, sent.json
    return {"accounts": accounts, "classes": [c for c in classes if c[1]], "head": head,
            "office": login(client, demo_account(OFFICE))}


def ledger_rows() -> int:
    found = db.session.scalar(select(func.count()).select_from(ScoreEntry))
    db.session.rollback()
    return found


class Writer(threading.Thread):
    """Whole-class dorm-score batches through the API, one class and week after another, until stopped."""

    def __init__(self, base, headers, classes):
        super().__init__(daemon=True)
        self.base, self.headers, self.stop, self.done, self.failed = base, headers, threading.Event(), 0, []
        self.slots = itertools.product(range(1, 13), classes)

    def run(self):
        for week, (_, roster) in self.slots:
            if self.stop.is_set():
                return
            answer = requests.post(f"{self.base}/api/v1/entries", timeout=60,
                                   headers={**self.headers, "Idempotency-Key": str(uuid.uuid4())},
                                   json={"point": "S-P-09", "period": f"week:{week}",
                                         "entries": [{"student_id": s, "value": 80} for s in roster]})
            if answer.status_code != 201:
                self.failed.append((answer.status_code, answer.text[:300]))
            self.done += 1

    def wait_for(self, batches: int) -> None:
        start = self.done
        while self.done < start + batches and self.is_alive():
            threading.Event().wait(0.02)


@pytest.fixture
def fresh(app, request, tmp_path):
    """A fresh, empty database (a new SQLite file or a new PostgreSQL database) and instance folder."""
    dropped = []

    def make():
        instance = tmp_path / f"restored-instance-{len(dropped)}"
        if app.config["DB_KIND"] == "sqlite":
            url = f"sqlite:///{tmp_path / f'restored{len(dropped)}.db'}"
        else:
            pg = request.getfixturevalue("postgres_server")
            name = f"spiral_restored_{uuid.uuid4().hex[:10]}"
            admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
            dropped.append((admin, name))
            url = pg.url(name)
        dropped.append(None)
        return make_app(url, instance, NO_REDIS, CLOCK_START=START), instance

    yield make
    for entry in dropped:
        if entry:
            admin, name = entry
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()


def restored_engine_dispose(restored):
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_backup_taken_during_batches_restores_whole_into_a_fresh_database(app, school, fresh, tmp_path):
    before = ledger_rows()
    originals = {a.id: a.data for a in db.session.scalars(select(Attachment))}
    db.session.rollback()
    path = tmp_path / "spiral.tar"
    with served(app) as base:
        writer = Writer(base, school["office"], school["classes"])
        writer.start()
        writer.wait_for(2)
        taken = app.test_cli_runner().invoke(args=["backup", str(path)])
        writer.wait_for(2)  # the writes went on past the backup
        writer.stop.set()
        writer.join(60)
    assert taken.exit_code == 0, taken.output
    assert not writer.failed, writer.failed
    manifest = json.load(tarfile.open(path).extractfile("manifest.json"))
    after = ledger_rows()
    # The backup is a snapshot taken mid-stream: later than the first batches, earlier than the last.
    assert before < manifest["ledger"]["rows"] < after
    assert json.loads(taken.output)["ledger_rows"] == manifest["ledger"]["rows"]
    assert manifest["created_at"].startswith("2026-11-23T02:")  # the injected clock: 10:00 in Shanghai
    assert manifest["attachments"]["count"] == 2 and manifest["secrets"] is True
    assert {f["name"] for f in manifest["files"]} >= {"instance/secrets.json"}
    assert os.stat(path).st_mode & 0o777 == 0o600  # it holds personal data and the secrets

    restored, instance = fresh()
    with restored.app_context():
        done = restored.test_cli_runner().invoke(args=["restore", str(path)])
        assert done.exit_code == 0, done.output
        assert f"{manifest['ledger']['rows']} ledger rows and 2 attachments, checksums match" in done.output
        with db.engine.connect() as conn:
            assert backup.ledger_digest(conn) == manifest["ledger"]
        assert {a.id: a.data for a in db.session.scalars(select(Attachment))} == originals
        db.session.remove()
        check = restored.test_cli_runner().invoke(args=["rollups", "check"])
        assert check.exit_code == 0 and '"differences": 0' in check.output, check.output
        login(restored.test_client(), school["accounts"]["head_teacher"])
        db.session.remove()
    restored_engine_dispose(restored)
    # The installation's keys came back (channel secrets are encrypted with SECRET_KEY), owner-only.
    source = os.path.join(app.config["INSTANCE_PATH"], "secrets.json")
    assert (instance / "secrets.json").read_bytes() == open(source, "rb").read()
    assert os.stat(instance / "secrets.json").st_mode & 0o777 == 0o600


def rewrite(path, out, change):
    """A copy of the backup with `change(name, bytes) -> bytes` applied to each member."""
    with tarfile.open(path) as src, tarfile.open(out, "w") as dst:
        for info in src.getmembers():
            data = change(info.name, src.extractfile(info).read())
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return str(out)


def test_damaged_edited_newer_and_unforced_restores_are_refused(app, school, fresh, tmp_path):
    path = tmp_path / "spiral.tar"
    assert app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    dump = "database.sqlite" if app.config["DB_KIND"] == "sqlite" else "database.pgdump"

    def flip(name, data):
        return data[:4000] + bytes([data[4000] ^ 1]) + data[4001:] if name == dump else data

    def newer(name, data):
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), "revision": "zz99future"}).encode()

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    cases = [
        (rewrite(path, tmp_path / "flipped.tar", flip), f"{dump} does not match its checksum in the manifest"),
        (rewrite(path, tmp_path / "newer.tar", newer), "schema revision zz99future is newer than this code knows"),
        (str(truncated), "cut short or damaged"),
    ]
    restored, _ = fresh()
    with restored.app_context():
        for bad, message in cases:
            refused = restored.test_cli_runner().invoke(args=["restore", bad])
            assert refused.exit_code == 1 and message in refused.output, refused.output
        with db.engine.connect() as conn:
            assert backup.holds_data(conn) == []  # nothing was restored
    restored_engine_dispose(restored)

    # Over this app's own database, which holds data: refused without --force, done with it.
    entries = ledger_rows()
    db.session.remove()
    refused = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert refused.exit_code == 1 and "already holds data" in refused.output and "--force" in refused.output
    assert ledger_rows() == entries
    db.session.remove()
    forced = app.test_cli_runner().invoke(args=["restore", "--force", str(path)])
    assert forced.exit_code == 0, forced.output
    assert ledger_rows() == entries
