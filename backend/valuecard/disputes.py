"""Disputes: a student objects to an entry about them; the scorer reverses it or rejects the dispute."""
from sqlalchemy import select

from backend.errors import Problem
from backend.extensions import db
from backend.models import ClassGroup, Dispute, ScoreEntry, ScoringPoint, Term, User
from backend.org import directory
from backend.platform import audit, clock
from backend.valuecard import catalogue, ledger


def out(d: Dispute, entry: ScoreEntry, point: ScoringPoint, name: str | None = None) -> dict:
    return {"id": d.id, "entry_id": d.entry_id, "student_id": d.student_id, "student_name": name,
            "point": point.code, "name_zh": point.name_zh, "name_en": point.name_en,
            **ledger.period_words(entry.period), "value": entry.value, "reason": d.reason, "status": d.status, "created_at": d.created_at,
            "resolution": d.resolution, "resolved_at": d.resolved_at}


def _rows(*conditions):
    return db.session.execute(
        select(Dispute, ScoreEntry, ScoringPoint, User.display_name)
        .join(ScoreEntry, ScoreEntry.id == Dispute.entry_id).join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .join(User, User.id == Dispute.student_id).where(*conditions).order_by(Dispute.created_at)).all()


def raise_dispute(student: User, entry_id: int, reason: str) -> dict:
    entry = db.session.get(ScoreEntry, entry_id)
    if entry is None or entry.student_id != student.id or entry.reverses_id is not None:
        raise Problem(404, "未找到 / Not found")
    if db.session.scalar(select(ScoreEntry.id).where(ScoreEntry.reverses_id == entry.id)) is not None:
        raise Problem(409, "该记录已冲销 / Already reversed", "There is nothing left to dispute.")
    if db.session.scalar(select(Dispute.id).where(Dispute.entry_id == entry.id, Dispute.status == "open")):
        raise Problem(409, "该记录已有待处理的申诉 / This entry already has an open dispute")
    dispute = Dispute(entry_id=entry.id, student_id=student.id, class_id=entry.class_id, reason=reason, status="open")
    db.session.add(dispute)
    db.session.flush()
    return out(dispute, entry, db.session.get(ScoringPoint, entry.point_id))


def mine(student: User) -> list[dict]:
    return [out(d, e, p, n) for d, e, p, n in _rows(Dispute.student_id == student.id)]


def _rule(entry: ScoreEntry):
    return catalogue.rule(db.session.get(Term, entry.term_id), db.session.get(ScoringPoint, entry.point_id).code)


def for_scorer(actor: User) -> list[dict]:
    """Open disputes about entries of points the actor scores for the class."""
    classes = {c.id: c for c in directory.visible_classes(actor)}
    rules: dict = {}  # one lookup per term and point, however many disputes share them
    mine = []
    for d, e, p, n in _rows(Dispute.status == "open", Dispute.class_id.in_(classes)):
        rule = rules.get((e.term_id, e.point_id)) or rules.setdefault((e.term_id, e.point_id), _rule(e))
        if ledger.can_score(actor, rule, classes[d.class_id]):
            mine.append(out(d, e, p, n))
    return mine


def resolve(actor: User, dispute_id: int, action: str, reason: str, value: float | None) -> dict:
    """Reverse the entry (and enter `value` in its place when given), or reject the dispute."""
    dispute = db.session.get(Dispute, dispute_id)
    entry = dispute and db.session.get(ScoreEntry, dispute.entry_id)
    if dispute is None or not ledger.can_score(actor, _rule(entry), db.session.get(ClassGroup, dispute.class_id)):
        raise Problem(404, "未找到 / Not found")
    if dispute.status != "open":
        raise Problem(409, "该申诉已处理 / Already resolved", f"This dispute was {dispute.status}.")
    if action == "reverse" and value is not None:
        ledger.correct(actor, entry, reason, value)
    elif action == "reverse":
        ledger.reverse(actor, entry, reason)
    return _close(actor, dispute, entry, "reversed" if action == "reverse" else "rejected", reason)


def _close(actor: User, dispute: Dispute, entry: ScoreEntry, status: str, reason: str) -> dict:
    dispute.status = status
    dispute.resolved_by, dispute.resolved_at, dispute.resolution = actor.id, clock.now(), reason
    audit.record(actor.id, f"dispute.{dispute.status}", "dispute", str(dispute.id), reason)
    return out(dispute, entry, db.session.get(ScoringPoint, entry.point_id))


def correct(actor: User, entry_id: int, reason: str, value: float) -> dict:
    """A scorer corrects an entry (ledger.correct); a dispute open on it is thereby resolved, and
    returned as `dispute` so the student can be told."""
    entry = db.session.get(ScoreEntry, entry_id)
    if entry is None:
        raise Problem(404, "未找到 / Not found")
    answer = ledger.correct(actor, entry, reason, value)
    dispute = db.session.scalar(select(Dispute).where(Dispute.entry_id == entry.id, Dispute.status == "open"))
    return {**answer, "dispute": dispute and _close(actor, dispute, entry, "reversed", reason)}
