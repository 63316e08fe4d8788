"""A large roster import as a background job: the passwords' Argon2 hashes off the request path.

The request validates the file (fast: no hashing) and answers 422 at once if it is bad; a valid
file with many new accounts is kept in Redis under a random key and this job imports it, all or
nothing, recording its progress in the RQ job's meta. The result is kept in the job's meta for the
importing user only, for as long as RQ keeps the finished job (an hour); the new accounts' initial
passwords are not in it but in the encrypted slips (org/onboarding.py), which last 30 minutes.
Nothing with a password is the job's return value, which RQ writes to its log.
"""
import uuid

from redis.exceptions import RedisError
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from backend.errors import Problem
from backend.extensions import db
from backend.org import roster
from backend.platform import language, queue
from backend.platform.queue import job

UPLOAD_TTL = 3600  # seconds an uploaded file waits for its job
TIMEOUT = 4 * 3600  # 20,000 accounts at about 0.1 s of Argon2 each, with a wide margin


def _upload_key(token: str) -> str:
    return f"spiral:roster-upload:{token}"


def start(filename: str, data: bytes, actor_id: int) -> str | None:
    """Keep the file and enqueue its import; the job's id, or None when Redis is unreachable
    (the caller then imports at once)."""
    token = uuid.uuid4().hex
    try:
        queue.redis_connection().set(_upload_key(token), data, ex=UPLOAD_TTL)
        enqueued = queue.enqueue(import_upload, token, filename, actor_id, job_id=f"roster-import-{token}")
    except RedisError:
        return None
    return enqueued.id if isinstance(enqueued, Job) else None


@job("default", timeout=TIMEOUT, retry_after=())
def import_upload(token: str, filename: str, actor_id: int) -> dict:
    """Not retried: a run that died may have committed, and a second run would report the new
    accounts as unchanged, their passwords lost; the importer sees "failed" and imports again."""
    current = get_current_job()

    def save(**meta):
        if current is not None:
            current.meta.update(meta)
            current.save_meta()

    data = queue.redis_connection().get(_upload_key(token))
    if data is None:
        save(problem={"status": 410, "title": "上传的文件已过期 / The uploaded file has expired"})
        return {"outcome": "expired"}
    try:
        result = roster.import_roster(filename, data, actor_id,
                                      progress=lambda stage, done, total: save(progress={
                                          "stage": stage, "done": done, "total": total}))
    except Problem as problem:
        db.session.rollback()
        save(problem={"status": problem.code, "title": problem.title, "detail": problem.description,
                      "errors": problem.errors})
        return {"outcome": "refused"}
    finally:
        queue.redis_connection().delete(_upload_key(token))
    if result.get("slips_id"):  # the passwords live only in the encrypted, shorter-lived slips
        result = {k: v for k, v in result.items() if k != "credentials"}
    save(result=result)
    return {"outcome": "imported", "students": result["students"], "staff": result["staff"]}


STATES = {"queued": "queued", "deferred": "queued", "scheduled": "queued", "started": "running",
          "finished": "finished", "failed": "failed", "stopped": "failed", "canceled": "failed"}


def status(job_id: str, user_id: int) -> dict | None:
    """What the importer sees of their import; None (404) for anyone else or an unknown id."""
    if not job_id.startswith("roster-import-"):
        return None
    try:
        found = Job.fetch(job_id, connection=queue.redis_connection())
        if found.func_name != f"{import_upload.__module__}.{import_upload.__name__}" or found.args[2] != user_id:
            return None
        state = found.get_status(refresh=True)
        state = STATES.get(getattr(state, "value", state), "queued")
        meta = found.get_meta(refresh=True)
    except (NoSuchJobError, RedisError, IndexError, TypeError):
        return None
    body = {"id": found.id, "status": state, "progress": meta.get("progress")}
    if state == "finished" and "problem" in meta:
        body.update(status="refused", problem=meta["problem"])
    elif state == "finished":
        body["result"] = meta.get("result")
    elif state == "failed":
        body["problem"] = {"status": 500, "title": "导入失败，未导入任何数据 / The import failed; nothing was imported"}
    if "problem" in body:  # kept in both languages by the job; read in the importer's
        body["problem"] = language.localise(body["problem"])
    return body
