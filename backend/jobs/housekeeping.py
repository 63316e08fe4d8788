"""The housekeeping job (every six hours): delete rows past their retention (platform/housekeeping.py),
and purge the sensitive records of students who left more than SENSITIVE_RETENTION_DAYS ago
(privacy/purge.py, issue 19)."""
from backend.platform import housekeeping
from backend.platform.queue import job
from backend.privacy import purge


@job("default", timeout=900)
def prune() -> dict:
    """Idempotent: a retry, or a second run soon after, finds less or nothing to delete."""
    return {**housekeeping.prune(), "sensitive": purge.run()}
