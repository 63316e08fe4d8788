"""`flask backup PATH` and `flask restore PATH`: one .tar file holds a consistent copy of the database,
the instance secrets, and a manifest that says what a correct restore must show.

    manifest.json      format, dialect, alembic revision, created_at (the injected clock), the ledger's
                       row count and checksum, the attachments' count and checksum, every member's sha256
    database.sqlite    SQLite: a copy by the online backup API (one step: a snapshot, writers go on)
    database.pgdump    PostgreSQL: `pg_dump --format=custom` of an exported snapshot
    instance/*.json    secrets.json (SECRET_KEY, JWT_SECRET_KEY) and vapid.json, unless left out

Portfolio attachments live in the database (models/portfolio.py), so the database copy carries them;
the manifest's attachment checksum proves they came back byte for byte. Secrets are in by default:
the channel credentials an admin typed are encrypted with a key derived from SECRET_KEY, and every
phone's push subscription is tied to the VAPID key pair — a restore without them silently breaks
WeCom/DingTalk sending and every push. So the backup file is written 0600 and must be kept like the
secrets themselves; `--without-secrets` leaves them out for installations that keep them in a secret
store (environment variables win over instance/ anyway).

On PostgreSQL the ledger checksum and pg_dump read the same snapshot (`pg_export_snapshot()`, then
`pg_dump --snapshot`), so the manifest describes exactly what the dump holds while writers go on.
On SQLite the checksum is read from the copy. The checksums catch corruption and a file edited by
hand, not a forger who rewrites the manifest too; keep backups where only operators can write.
"""
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

from backend.extensions import db
from backend.models import Attachment, ScoreEntry
from backend.platform import clock

FORMAT = 1
SECRETS = ("secrets.json", "vapid.json")
DUMPS = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be taken or restored; the message says why and what to do."""


# ---------------------------------------------------------------- what a database holds

def ledger_digest(conn: Connection) -> dict:
    """Row count and sha256 of every ledger row (all columns, by id): equal after a restore."""
    table = ScoreEntry.__table__
    digest, rows = hashlib.sha256(), 0
    result = conn.execute(select(table).order_by(table.c.id),
                          execution_options={"stream_results": True, "yield_per": 20000})
    for row in result:
        digest.update(repr(tuple(row)).encode())
        rows += 1
    return {"rows": rows, "sha256": digest.hexdigest()}


def attachments_digest(conn: Connection) -> dict:
    """Count and sha256 over each attachment's id, name and the sha256 of its bytes (computed, not the
    stored column: a restore that changed a byte changes this)."""
    table = Attachment.__table__
    digest, count = hashlib.sha256(), 0
    result = conn.execute(select(table.c.id, table.c.filename, table.c.data).order_by(table.c.id),
                          execution_options={"stream_results": True, "yield_per": 50})
    for row in result:
        digest.update(f"{row.id}\x1f{row.filename}\x1f{hashlib.sha256(row.data).hexdigest()}\n".encode())
        count += 1
    return {"count": count, "sha256": digest.hexdigest()}


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


def _describe(conn: Connection) -> dict:
    return {"revision": _revision(conn), "ledger": ledger_digest(conn), "attachments": attachments_digest(conn)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- PostgreSQL tools

def _pg_tool(conn: Connection, name: str) -> str:
    """pg_dump/pg_restore of the server's major version (an older one refuses a newer server):
    PG_BINDIR if set, else Debian's /usr/lib/postgresql/<major>/bin, else the PATH."""
    major = int(conn.scalar(text("SHOW server_version_num"))) // 10000
    candidates = [current_app.config.get("PG_BINDIR") or "", f"/usr/lib/postgresql/{major}/bin"]
    for folder in candidates:
        if folder and os.access(os.path.join(folder, name), os.X_OK):
            return os.path.join(folder, name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install postgresql-client-{major} or set PG_BINDIR.")
    return found


def _libpq(url: URL) -> tuple[str, dict]:
    """The URL as libpq reads it, the password in the environment (not on a command line others can read)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


# ---------------------------------------------------------------- backup

def take(path: str, with_secrets: bool = True) -> dict:
    """Write the backup to `path` (a .tar, mode 0600); returns the manifest."""
    engine = db.engine
    dialect = engine.dialect.name
    if dialect not in DUMPS:
        raise BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {dialect}.")
    db.session.remove()
    with tempfile.TemporaryDirectory(prefix="spiral-backup-") as work:
        dump = Path(work) / DUMPS[dialect]
        described = _dump_sqlite(engine.url, dump) if dialect == "sqlite" else _dump_postgresql(dump)
        members = {DUMPS[dialect]: dump}
        instance = Path(current_app.config["INSTANCE_PATH"])
        for name in SECRETS if with_secrets else ():
            if (instance / name).exists():
                members[f"instance/{name}"] = instance / name
        manifest = {"format": FORMAT, "dialect": dialect, "created_at": clock.now().isoformat(), **described,
                    "secrets": with_secrets,
                    "files": [{"name": n, "size": p.stat().st_size, "sha256": _sha256(p)} for n, p in members.items()]}
        _write_tar(Path(path), manifest, members)
    return manifest


def _dump_sqlite(url: URL, dump: Path) -> dict:
    source = sqlite3.connect(url.database)
    target = sqlite3.connect(dump)
    try:
        source.backup(target)  # pages=-1: one step, one read snapshot; WAL writers are not blocked
    finally:
        target.close()
        source.close()
    copy = create_engine(f"sqlite:///{dump}", poolclass=NullPool)
    try:
        with copy.connect() as conn:
            return _describe(conn)
    finally:
        copy.dispose()


def _dump_postgresql(dump: Path) -> dict:
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.scalar(text("SELECT pg_export_snapshot()"))
            described = _describe(conn)
            target, env = _libpq(conn.engine.url)
            # While this transaction is open, pg_dump reads the very snapshot described above.
            _run([_pg_tool(conn, "pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                  f"--file={dump}", f"--dbname={target}"], env)
    return described


def _write_tar(path: Path, manifest: dict, members: dict[str, Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w") as tar:
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, io.BytesIO(body))
        for name, source in members.items():
            tar.add(source, arcname=name, recursive=False)
    os.replace(partial, path)  # a backup cut short never looks like a whole one


# ---------------------------------------------------------------- restore

def open_backup(path: str, work: Path) -> dict:
    """The manifest, every member extracted into `work` and checked against it; BackupError otherwise."""
    try:
        tar = tarfile.open(path, mode="r:")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path} is not a Spiral backup (not a readable tar file: {exc}).") from None
    with tar:
        try:
            members = tar.getmembers()
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"{path} is cut short or damaged ({exc}). Nothing was restored.") from None
        try:
            manifest = json.load(tar.extractfile("manifest.json"))
        except (KeyError, ValueError, AttributeError, tarfile.TarError) as exc:
            raise BackupError(f"{path} has no readable manifest.json ({exc}): not a Spiral backup, or damaged.") \
                from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Backup format {manifest.get('format')!r}; this version reads format {FORMAT}.")
        listed = {f["name"]: f for f in manifest["files"]}
        allowed = set(DUMPS.values()) | {f"instance/{s}" for s in SECRETS}
        for info in members:
            if info.name == "manifest.json":
                continue
            if info.name not in listed or info.name not in allowed or not info.isfile():
                raise BackupError(f"The backup holds {info.name!r}, which its manifest does not list: refused.")
            target = work / info.name
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with tar.extractfile(info) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out, CHUNK)
            except (OSError, tarfile.TarError) as exc:
                raise BackupError(f"{info.name} cannot be read from the backup ({exc}): cut short or damaged. "
                                  "Nothing was restored.") from None
    for name, entry in listed.items():
        target = work / name
        if not target.exists():
            raise BackupError(f"The manifest lists {name}, which the backup does not hold: incomplete.")
        if _sha256(target) != entry["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged "
                              "or was changed. Nothing was restored.")
    return manifest


def _known_revisions() -> tuple[set[str], set[str]]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", current_app.extensions["migrate"].directory)
    script = ScriptDirectory.from_config(config)
    return {r.revision for r in script.walk_revisions()}, set(script.get_heads())


def holds_data(conn: Connection) -> list[str]:
    """The app's tables that hold a row (a migrated but empty database holds none)."""
    existing = set(inspect(conn).get_table_names())
    return [t.name for t in db.metadata.sorted_tables
            if t.name in existing and conn.execute(select(1).select_from(t).limit(1)).first() is not None]


def restore(path: str, force: bool = False) -> dict:
    """Check the backup, put its database and secrets in place of this app's, verify them. The caller
    then rebuilds the rollups: jobs in flight at backup time lived in Redis, not in the backup."""
    engine = db.engine
    dialect = engine.dialect.name
    with tempfile.TemporaryDirectory(prefix="spiral-restore-") as name:
        work = Path(name)
        manifest = open_backup(path, work)
        if manifest["dialect"] != dialect:
            raise BackupError(f"This is a backup of a {manifest['dialect']} database; this app's database is "
                              f"{dialect}. Restore into a {manifest['dialect']} database.")
        known, heads = _known_revisions()
        db.session.remove()
        if manifest["revision"] not in known:
            raise BackupError(f"The backup's schema revision {manifest['revision']} is newer than this code "
                              f"knows (heads: {', '.join(sorted(heads))}): restore with the version that made it.")
        with engine.connect() as conn:
            occupied = holds_data(conn)
        if occupied and not force:
            raise BackupError(f"The database already holds data ({', '.join(occupied[:5])}"
                              f"{', ...' if len(occupied) > 5 else ''}): restoring replaces it. "
                              "Use --force to replace it.")
        db.session.remove()
        engine.dispose()  # our own connections must not hold locks the restore waits for
        if dialect == "sqlite":
            _restore_sqlite(work / DUMPS[dialect], engine.url)
        else:
            _restore_postgresql(work / DUMPS[dialect])
        engine.dispose()
        with engine.connect() as conn:
            found = _describe(conn)
        for part in ("ledger", "attachments"):
            if found[part] != manifest[part]:
                raise BackupError(f"The restored {part} ({found[part]}) differs from the manifest "
                                  f"({manifest[part]}): do not use this database.")
        written = _restore_secrets(work, Path(current_app.config["INSTANCE_PATH"]))
    return {"dialect": dialect, "created_at": manifest["created_at"], "revision": manifest["revision"],
            "upgrade_needed": manifest["revision"] not in heads, "ledger": found["ledger"],
            "attachments": found["attachments"], "instance_files": written}


def _restore_sqlite(dump: Path, url: URL) -> None:
    source = sqlite3.connect(dump)
    target = sqlite3.connect(url.database, timeout=30)
    try:
        source.backup(target)  # page by page into the live file, under its locks (a copy over it would not be)
    finally:
        target.close()
        source.close()


def _restore_postgresql(dump: Path) -> None:
    with db.engine.connect() as conn:
        tool = _pg_tool(conn, "pg_restore")
        target, env = _libpq(conn.engine.url)
    db.engine.dispose()
    # One transaction: a restore that fails part way leaves the database as it was.
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={target}", str(dump)], env)


def _restore_secrets(work: Path, instance: Path) -> list[str]:
    written = []
    instance.mkdir(parents=True, exist_ok=True)
    for name in SECRETS:
        source = work / "instance" / name
        if not source.exists():
            continue
        partial = instance / f".{name}.restoring"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(source.read_bytes())
        os.replace(partial, instance / name)
        written.append(name)
    return written
