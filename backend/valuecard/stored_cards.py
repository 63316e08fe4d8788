"""Stored cards (models/stored_card.py): what the class rollup job writes and what a card read adds to it.

The job stores each student's values per point and teaching week from the ledger and the marks,
with two watermarks: the ledger's highest id, read after the values, and the moment before the
marks were read. A card read adds the ledger entries above the watermark (a reversal takes its
entry's value away, stored or not) and re-reads the student's marks if any was set since, so a
batch or a check-in shows on the card at once, before its job runs.

PostgreSQL hands out ids in insert order, not commit order: an entry with an id below the
watermark can commit just after the job read the ledger, and the card misses it for a moment.
Its batch touched the class (platform/changes.py), which enqueues another class job once it
commits; that job reads it and rewrites the row, so the card is right again within a job's run
(and the hourly full pass catches a lost job). The same holds for a mark set just before the
marks' watermark. Reading the watermark after the values never counts an entry twice.
"""
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, exists, func, literal, select
from sqlalchemy.orm import aliased

from backend.extensions import db
from backend.models import AttendanceMark, ClassSession, Rollup, ScoreEntry, StoredCard
from backend.platform import bulk, clock

PAYLOAD = ("weekly", "previous", "trends")
Payload = dict  # {"weekly": {"point id": [[week, values, sum], ...]}, "previous": [total, total without sensitive],
#                  "trends": card.stored_trends (the weekly trend of the subtotals and total)}


def payload(weekly: dict, previous: list, trends: dict | None = None) -> Payload:
    """A student's row from their values per point as [[week, values, sum], ...] in week order,
    sums rounded as the indicator rounds them (reporting/rollups.py `_inputs`), so that the
    order PostgreSQL added them in never shows as a change; `trends` as card.stored_trends makes them."""
    return {"weekly": {str(p): weeks for p, weeks in sorted(weekly.items()) if weeks}, "previous": list(previous),
            "trends": trends}


def totals(stored: dict) -> dict:
    return {int(p): {w: (n, t) for w, n, t in weeks} for p, weeks in stored.items()}


def ledger_watermark() -> int:
    return db.session.scalar(select(func.coalesce(func.max(ScoreEntry.id), 0)))


def lookup(term_id: int, student_id: int, class_id: int) -> "Lookup":
    """In one statement: the student's stored card (None when none is stored), whether a mark was
    set since it, the median and count of the class's totals from its rollup (None when none), and
    the student's ledger entries above the card's watermark, one result row each."""
    rows = db.session.execute(_lookup_statement(), {"term": term_id, "student": student_id, "class": class_id}).all()
    card, marks_changed, median, count = rows[0][:4]
    return Lookup(card, bool(marks_changed), median, count, [tuple(r[4:]) for r in rows if r[4] is not None])


@cache
def _lookup_statement():
    """Built once per process with bound parameters: a card read is the most frequent request, and
    building this statement cost it more CPU than running it."""
    term, student = bindparam("term"), bindparam("student")

    def of_class(column):
        return select(column).where(Rollup.term_id == term, Rollup.unit == "class",
                                    Rollup.unit_id == bindparam("class"), Rollup.metric == "total").scalar_subquery()
    one = select(literal(1).label("one")).subquery()
    newer, reversed_entry = aliased(ScoreEntry), aliased(ScoreEntry)
    return (select(StoredCard, _marks_since(StoredCard.marks_as_of, term, student), of_class(Rollup.median),
                   of_class(Rollup.count), newer.point_id, newer.week, newer.value, reversed_entry.value)
            .select_from(one)
            .outerjoin(StoredCard, (StoredCard.term_id == term) & (StoredCard.student_id == student))
            .outerjoin(newer, (newer.student_id == student) & (newer.term_id == term)
                       & (newer.id > StoredCard.ledger_id))
            .outerjoin(reversed_entry, reversed_entry.id == newer.reverses_id))


@dataclass
class Lookup:
    card: StoredCard | None
    marks_changed: bool
    median: float | None
    count: int | None
    newer: list[tuple[int, int, float | None, float | None]]  # (point, week, value, value of the entry it reverses)


def _marks_since(since, term_id: int, student_id: int):
    """A mark set or corrected at or after `since` (a mark is updated in place, with its time)."""
    return exists().where(AttendanceMark.student_id == student_id, AttendanceMark.marked_at >= since,
                          ClassSession.id == AttendanceMark.session_id, ClassSession.term_id == term_id)


def _stored(term_id: int, student_ids=None) -> dict[int, StoredCard]:
    query = select(StoredCard).where(StoredCard.term_id == term_id)
    if student_ids is not None:
        query = query.where(StoredCard.student_id.in_(student_ids))
    return {r.student_id: r for r in db.session.scalars(query)}


def store(term_id: int, cards: dict[int, Payload], ledger_id: int, marks_as_of: datetime, everyone: bool) -> dict:
    """Write the rows whose payload changed (their stored text differs, bulk.py `as_stored`); with
    `everyone`, `cards` is every student's and any other row of the term goes. An unchanged row
    keeps its older watermarks: what is newer than them then adds up to nothing the payload does
    not already hold, except marks set again as they were, which a read re-reads."""
    query = select(StoredCard.student_id, *bulk.as_text(StoredCard, PAYLOAD)).where(StoredCard.term_id == term_id)
    if not everyone:
        query = query.where(StoredCard.student_id.in_(list(cards)))
    existing = {sid: tuple(stored) for sid, *stored in db.session.execute(query)}
    fields = {"term_id": term_id, "ledger_id": ledger_id, "marks_as_of": marks_as_of, "updated_at": clock.now()}
    new = [{"student_id": s, **p, **fields} for s, p in cards.items() if s not in existing]
    changed = [{"student_id": s, **p, **fields} for s, p in cards.items()
               if s in existing and bulk.as_stored(StoredCard, p, PAYLOAD) != existing[s]]
    stale = [s for s in existing if s not in cards] if everyone else []
    for start in range(0, len(stale), 2000):
        db.session.execute(delete(StoredCard).where(
            StoredCard.term_id == term_id, StoredCard.student_id.in_(stale[start:start + 2000])))
    bulk.insert_rows(StoredCard, new)
    bulk.update_rows(StoredCard, changed)
    return {"inserted": len(new), "updated": len(changed), "deleted": len(stale)}


def check(term_id: int, cards: dict[int, Payload]) -> list[str]:
    """Differences between the stored rows and a full recompute. A row not stored yet (its class's
    job has not run since the term began) is none: its card is read from the ledger."""
    stored = _stored(term_id)
    problems = [f"unexpected card {s}" for s in stored if s not in cards]
    for sid in cards.keys() & stored.keys():
        for name in PAYLOAD:
            if getattr(stored[sid], name) != cards[sid][name]:
                problems.append(f"card {sid}: {name} stored {getattr(stored[sid], name)!r} != {cards[sid][name]!r}")
    return problems
