"""What a transaction changed that derived data (rollups, warnings) or pushes must follow.

Services mark units here while they write; backend/jobs writes their jobs to the outbox in the
same transaction when it commits (platform/outbox.py), and forgets them if it rolls back. Kept apart from reporting/rollups.py
so that the services that write inputs need not import the one that reads them.
"""
from backend.extensions import db

TOUCHED = "rollups_touched"  # session.info key: {(unit, term id, unit id)}


def touch(unit: str, term_id: int, unit_ids) -> None:
    db.session.info.setdefault(TOUCHED, set()).update((unit, term_id, u) for u in unit_ids)


def take(session) -> list[tuple[str, int, int]]:
    return sorted(session.info.pop(TOUCHED, ()))
