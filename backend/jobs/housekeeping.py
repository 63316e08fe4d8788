"""The housekeeping job (every six hours): delete rows past their retention (platform/housekeeping.py)."""
from backend.platform import housekeeping
from backend.platform.queue import job


@job("default", timeout=900)
def prune() -> dict:
    """Idempotent: a retry, or a second run soon after, finds less or nothing to delete."""
    return housekeeping.prune()
