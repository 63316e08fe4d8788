"""Student cadres (班干部, seed 002 §(3): student cadres collect data): a head teacher lets a
student of the class record chosen points for it; each batch the cadre records goes into the
ledger in the cadre's name and waits for the head teacher, who confirms it or reverses it.

An unconfirmed batch counts on the card like any entry: the ledger keeps one way to say what
counts (ledger.counts()), a reversal is the one way a value stops counting, and the head teacher
sees every waiting batch on their home. Holding values back until confirmed would need a second
rule in every reader of the ledger (card, rollups, warnings) that could drift from the first.

Which points a cadre may record: individual points the head teacher scores, typed rather than
computed, never need-to-know (sensitive), and among those only the ones classmates can see for
themselves (CADRE_POINTS). A cadre never records their own value: a conflict of interest.
"""
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.auth.policy import authorize, can
from backend.auth.policy import valuecard as policy
from backend.auth.roles import Role, Scope
from backend.errors import Problem
from backend.extensions import db
from backend.models import (
    CadreGrant,
    CadreReview,
    ClassGroup,
    ScoreEntry,
    ScoringPoint,
    StudentProfile,
    Term,
    User,
)
from backend.platform import audit, clock
from backend.valuecard import catalogue, ledger

# 学习委员 counts extracurricular study (S-A-07) and talks with teachers (S-A-08): both are seen by
# classmates. Points like classmates' disputes (S-P-10) or the peer review (S-P-11) are not a
# classmate's to record.
CADRE_POINTS = ("S-A-07", "S-A-08")
INVALID = "请求数据有误 / Invalid request data"
NOT_IN_CLASS = "不是本班学生 / Not a student of this class."
SELF_ROW = "班干部不能为自己录入 / A cadre does not record their own value."


def grantable(term: Term) -> list:
    """The points a head teacher may hand to a cadre in a term, in catalogue order."""
    return [r for r in catalogue.rules(term)
            if r.point.code in CADRE_POINTS and r.point.level == "individual" and r.source == "entered"
            and Role.HEAD_TEACHER in r.scorer_roles and not r.sensitive]


def get_class(actor: User, class_id: int) -> ClassGroup:
    cls = db.session.get(ClassGroup, class_id)
    authorize(actor, "view", cls)
    authorize(actor, "manage_cadres", cls)
    return cls


def _describe(grant: CadreGrant, name: str, point: ScoringPoint) -> dict:
    return {"id": grant.id, "class_id": grant.class_id, "student_id": grant.student_id, "student_name": name,
            "point": point.code, "name_zh": point.name_zh, "name_en": point.name_en, "title": grant.title,
            "starts_on": grant.starts_on, "revoked_at": grant.revoked_at}


def live_grants(class_id: int | None = None, student_id: int | None = None) -> list[dict]:
    query = (select(CadreGrant, User.display_name, ScoringPoint)
             .join(User, User.id == CadreGrant.student_id).join(ScoringPoint, ScoringPoint.id == CadreGrant.point_id)
             .where(CadreGrant.revoked_at.is_(None)).order_by(User.username, ScoringPoint.code))
    if class_id is not None:
        query = query.where(CadreGrant.class_id == class_id)
    if student_id is not None:
        query = query.where(CadreGrant.student_id == student_id)
    return [_describe(g, name, p) for g, name, p in db.session.execute(query)]


def overview(cls: ClassGroup, term: Term) -> dict:
    """The class's cadres and the points that may be granted."""
    return {"class_id": cls.id, "class_name": cls.name, "grants": live_grants(cls.id),
            "grantable": [{"point": r.point.code, "name_zh": r.point.name_zh, "name_en": r.point.name_en}
                          for r in grantable(term)]}


def grant(actor: User, cls: ClassGroup, term: Term, body: dict) -> list[dict]:
    """Let a student of the class record the given points from `starts_on` (today when not given)."""
    errors = {}
    profile = db.session.get(StudentProfile, body["student_id"])
    if profile is None or profile.class_id != cls.id:
        errors["student_id"] = [NOT_IN_CLASS]
    allowed = {r.point.code: r for r in grantable(term)}
    for i, code in enumerate(body["points"]):
        if code not in allowed:
            errors[f"points[{i}]"] = ["班干部不能录入该采分点 / Cadres cannot be given this point."]
    starts_on = body.get("starts_on") or clock.school_today()
    if not term.starts_on <= starts_on <= term.ends_on:
        errors["starts_on"] = ["应在本学期内 / Must fall within the term."]
    if errors:
        raise Problem(422, INVALID, errors=errors)
    live = {g["point"] for g in live_grants(student_id=profile.user_id)}
    made = []
    for i, code in enumerate(body["points"]):
        if code in live:
            errors[f"points[{i}]"] = ["该学生已有此项授权 / This student already records this point."]
            continue
        made.append(CadreGrant(class_id=cls.id, student_id=profile.user_id, point_id=allowed[code].point_id,
                               title=body["title"], starts_on=starts_on, granted_by=actor.id))
    if errors:
        raise Problem(422, INVALID, errors=errors)
    db.session.add_all(made)
    db.session.flush()  # the live-grant index refuses a grant a concurrent request made meanwhile (409)
    audit.record(actor.id, "cadre.grant", "class", str(cls.id),
                 {"student_id": profile.user_id, "points": body["points"], "title": body["title"],
                  "starts_on": starts_on})
    return live_grants(cls.id)


def revoke(actor: User, grant_id: int) -> list[dict]:
    """End a grant now; the batches the cadre recorded stay, with their review."""
    found = db.session.get(CadreGrant, grant_id)
    cls = found and db.session.get(ClassGroup, found.class_id)
    if found is None or not can(actor, "manage_cadres", cls):
        raise Problem(404, "未找到 / Not found")
    if found.revoked_at is None:
        found.revoked_at, found.revoked_by = clock.now(), actor.id
        point = db.session.get(ScoringPoint, found.point_id)
        audit.record(actor.id, "cadre.revoke", "class", str(cls.id),
                     {"student_id": found.student_id, "point": point.code, "grant_id": found.id})
    return live_grants(cls.id)


def record(actor: User, term: Term, body: dict) -> dict:
    """A cadre's batch: refused with the rows about the cadre named, else the ledger's batch in
    the cadre's name (which checks the grant through the policy, row by row)."""
    if actor.student is None:
        raise Problem(403, "仅班干部使用 / For student cadres", "Staff enter points at POST /entries.")
    errors = {f"entries[{i}].student_id": [SELF_ROW] for i, row in enumerate(body["entries"])
              if row.get("student_id") == actor.id}
    if errors:
        raise Problem(422, ledger.BATCH_REFUSED, errors=errors)
    with policy.cadre_flow():
        return ledger.record_batch(actor, term, body)


def mine(actor: User, term: Term) -> dict:
    """What a cadre sees: their grants, their classmates (not themselves) and their batches."""
    if actor.student is None:
        raise Problem(403, "仅班干部使用 / For student cadres")
    cls = db.session.get(ClassGroup, actor.student.class_id)
    classmates = [{"id": u.id, "display_name": u.display_name}
                  for p, u in db.session.execute(
                      select(StudentProfile, User).join(User, User.id == StudentProfile.user_id)
                      .where(StudentProfile.class_id == cls.id, User.id != actor.id).order_by(User.username))]
    today = clock.school_today()
    grants = [g for g in live_grants(student_id=actor.id) if g["starts_on"] <= today]
    return {"class_id": cls.id, "class_name": cls.name, "grants": grants, "classmates": classmates,
            "batches": _batches(term, [ScoreEntry.recorded_by == actor.id])}


def _head_classes(actor: User) -> list[int]:
    return [g.scope_id for g in actor.grants if g.role == Role.HEAD_TEACHER and g.scope_type == Scope.CLASS]


def for_review(actor: User, term: Term, state: str | None) -> list[dict]:
    """The cadre batches of the classes the actor heads, newest first; `state` pending, confirmed
    or reversed narrows them."""
    classes = _head_classes(actor)
    if not classes:
        return []
    batches = _batches(term, [ScoreEntry.class_id.in_(classes)])
    return [b for b in batches if state is None or b["state"] == state]


def pending_count(actor: User, term: Term) -> int:
    return len(for_review(actor, term, "pending"))


def _batches(term: Term, where: list) -> list[dict]:
    """Batches recorded by students (cadres) in the term, each with its entries and its review.
    A batch waits until its review row exists: whatever way the batch reached the ledger, it is
    listed here, so none escapes the head teacher."""
    originals = db.session.execute(
        select(ScoreEntry, ScoringPoint, User.display_name)
        .join(StudentProfile, StudentProfile.user_id == ScoreEntry.recorded_by)
        .join(ScoringPoint, ScoringPoint.id == ScoreEntry.point_id)
        .join(User, User.id == ScoreEntry.student_id)
        .where(ScoreEntry.term_id == term.id, ScoreEntry.reverses_id.is_(None), *where)
        .order_by(ScoreEntry.id.desc()).limit(2000)).all()
    if not originals:
        return []
    ids = [e.id for e, _, _ in originals]
    reversed_ids = set(db.session.scalars(select(ScoreEntry.reverses_id).where(ScoreEntry.reverses_id.in_(ids))))
    batch_ids = {e.batch_id for e, _, _ in originals}
    reviews = {r.batch_id: r for r in db.session.scalars(select(CadreReview).where(CadreReview.batch_id.in_(batch_ids)))}
    cadre_names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({e.recorded_by for e, _, _ in originals}))).all())
    grouped: dict[str, list] = defaultdict(list)
    for row in originals:
        grouped[row[0].batch_id].append(row)
    out = []
    for batch_id, rows in grouped.items():
        first, point, _ = rows[0]
        review = reviews.get(batch_id)
        out.append({
            "batch_id": batch_id, "class_id": first.class_id, "cadre_id": first.recorded_by,
            "cadre_name": cadre_names[first.recorded_by], "point": point.code, "name_zh": point.name_zh,
            "name_en": point.name_en, **ledger.period_words(first.period), "recorded_at": first.recorded_at,
            "state": review.decision if review else "pending", "reason": review.reason if review else None,
            "entries": [{"entry_id": e.id, "student_id": e.student_id, "student_name": name, "value": e.value,
                         "reversed": e.id in reversed_ids} for e, _, name in sorted(rows, key=lambda r: r[0].id)]})
    return out


def review(actor: User, batch_id: str, decision: str, reason: str | None) -> dict:
    """Confirm a cadre's batch (it stays as it is) or reverse it: every entry of it that still
    counts gets its ledger reversal with the reason, which the cadre then reads. One decision a
    batch (the review's primary key): a second answers 409."""
    entries = db.session.scalars(select(ScoreEntry).where(
        ScoreEntry.batch_id == batch_id, ScoreEntry.reverses_id.is_(None)).order_by(ScoreEntry.id)).all()
    cadre = entries and db.session.get(StudentProfile, entries[0].recorded_by)
    cls = entries and db.session.get(ClassGroup, entries[0].class_id)
    if not entries or cadre is None or not can(actor, "manage_cadres", cls):
        raise Problem(404, "未找到 / Not found")
    if db.session.get(CadreReview, batch_id) is not None:
        raise Problem(409, "该批次已处理 / This batch has been reviewed already")
    if decision == "reversed":
        if not (reason or "").strip():
            raise Problem(422, INVALID, errors={"reason": ["撤销须写明原因 / Give the reason for reversing."]})
        done = set(db.session.scalars(select(ScoreEntry.reverses_id).where(
            ScoreEntry.reverses_id.in_([e.id for e in entries]))))
        for entry in entries:
            if entry.id not in done:
                ledger.reverse(actor, entry, reason.strip())
    db.session.add(CadreReview(batch_id=batch_id, class_id=cls.id, cadre_id=cadre.user_id, decision=decision,
                               reason=(reason or "").strip() or None, decided_by=actor.id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Problem(409, "该批次已处理 / This batch has been reviewed already") from None
    audit.record(actor.id, f"cadre.{'confirm' if decision == 'confirmed' else 'reverse'}", "batch", batch_id,
                 {"cadre_id": cadre.user_id, "entries": len(entries)})
    term = db.session.get(Term, entries[0].term_id)
    return next(b for b in _batches(term, [ScoreEntry.batch_id == batch_id]))


def counts_by_state(rows: list[dict]) -> dict:
    out = dict.fromkeys(("pending", "confirmed", "reversed"), 0)
    for row in rows:
        out[row["state"]] += 1
    return out

