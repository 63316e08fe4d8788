"""The development value card: indicators → points → domain subtotals → total → value added.

Computed from the ledger on read, so every figure can be re-derived and audited.
An indicator is the student's value for a point over the term: the latest
value for points scored once a term, the mean over periods for points scored
weekly, monthly or per session. Subtotals are weighted over the points that
have data so far, with the covered weight shown, so an early-term card is not
dragged to zero by points nobody could score yet.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median

from sqlalchemy import select

from backend.extensions import db
from backend.models import CatalogueVersion, ScoreEntry, StudentProfile, Term
from backend.services import catalogue, ledger
from backend.services.conversion import is_past_warning, to_points

DOMAINS = ("academic", "personal", "career")


@dataclass
class Card:
    points: list[dict] = field(default_factory=list)
    subtotals: dict = field(default_factory=dict)
    total: float | None = None


def _indicators(student_ids, term: Term) -> dict[int, dict[int, list[float]]]:
    """Values that count, per student and point, oldest entry first (one per period)."""
    rows = db.session.execute(
        select(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.value)
        .where(ScoreEntry.term_id == term.id, ScoreEntry.student_id.in_(student_ids), ledger.counts())
        .order_by(ScoreEntry.id))
    values: dict = defaultdict(lambda: defaultdict(list))
    for student_id, point_id, value in rows:
        values[student_id][point_id].append(value)
    return values


def _indicator(rule, values: list[float]) -> float:
    if rule.timing in ledger.TERM_TIMINGS:
        return values[-1]  # the latest entry
    return round(sum(values) / len(values), 2)


def _card(rules, weights: dict, values: dict) -> Card:
    card = Card()
    sums = defaultdict(lambda: [0.0, 0.0])  # domain → [weighted points, covered weight]
    for rule in rules:
        if rule.point_id not in values:
            continue
        indicator = _indicator(rule, values[rule.point_id])
        points = to_points(rule, indicator)
        sums[rule.point.domain][0] += points * rule.weight
        sums[rule.point.domain][1] += rule.weight
        card.points.append({"code": rule.point.code, "domain": rule.point.domain, "name_zh": rule.point.name_zh,
                            "name_en": rule.point.name_en, "indicator": indicator, "points": points,
                            "weight": rule.weight, "weighted": round(points * rule.weight, 2),
                            "standard_value": rule.standard_value, "warning_value": rule.warning_value,
                            "below_warning": is_past_warning(rule, indicator), "sensitive": rule.sensitive,
                            "periods": len(values[rule.point_id])})
    for domain in DOMAINS:
        weighted, covered = sums.get(domain, (0.0, 0.0))
        card.subtotals[domain] = {"score": round(weighted / covered, 2) if covered else None,
                                  "covered_weight": round(covered, 3)}
    scored = [(card.subtotals[d]["score"], weights[d]) for d in DOMAINS if card.subtotals[d]["score"] is not None]
    if scored:
        card.total = round(sum(s * w for s, w in scored) / sum(w for _, w in scored), 2)
    return card


def cards_for(student_ids, term: Term) -> dict[int, Card]:
    rules = [r for r in catalogue.rules(term) if r.point.level == "individual"]
    weights = db.session.scalar(select(CatalogueVersion.domain_weights).where(CatalogueVersion.term_id == term.id))
    values = _indicators(student_ids, term)
    return {sid: _card(rules, weights, values.get(sid, {})) for sid in student_ids}


def previous_term(term: Term) -> Term | None:
    return db.session.scalar(select(Term).where(Term.starts_on < term.starts_on).order_by(Term.starts_on.desc()).limit(1))


def student_card(profile: StudentProfile, term: Term, include_sensitive: bool) -> dict:
    classmates = db.session.scalars(select(StudentProfile.user_id).where(StudentProfile.class_id == profile.class_id)).all()
    cards = cards_for(classmates, term)
    mine = cards[profile.user_id]
    before = previous_term(term)
    previous = cards_for([profile.user_id], before)[profile.user_id].total if before else None
    class_totals = [c.total for c in cards.values() if c.total is not None]
    return {
        "term_id": term.id, "student_id": profile.user_id, "total": mine.total,
        "subtotals": mine.subtotals,
        "value_added": {"previous_term": round(mine.total - previous, 2)
                        if mine.total is not None and previous is not None else None,
                        "previous_term_total": previous},
        # A median, never a rank: students are compared with their class, not ordered within it.
        "class_median": round(median(class_totals), 2) if class_totals else None,
        "points": [p for p in mine.points if include_sensitive or not p["sensitive"]],
    }
