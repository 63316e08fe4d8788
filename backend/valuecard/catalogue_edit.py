"""A school admin's edit of a term's scoring rule: checked field by field, refused with a 422
naming the field, audited, and never able to orphan a value already recorded."""
from sqlalchemy import func, select

from backend.errors import Problem
from backend.extensions import db
from backend.models import ScoreEntry, ScoringPoint, ScoringRule, Term
from backend.platform import audit, clock
from backend.platform.changes import touch
from backend.valuecard import ledger
from backend.valuecard.catalogue import ensure_version, rule
from backend.valuecard.conversion import check_rule, conversion_problems, value_range

INVALID = "评分规则无效 / Invalid scoring rule"
# check_rule's findings, by how they begin: the field each is about and what it says in Chinese.
FINDINGS = [
    ("standard_value ", "standard_value", "标准值超出取值范围"),
    ("warning_value ", "warning_value", "预警值超出取值范围"),
    ("the warning value must lie", "warning_value", "预警值应比标准值更差"),
    ("a level point", "levels", "等级型采分点需要等级"),
    ("weight", "weight", "权重应在 0–1 之间"),
    ("an aggregate point", "conversion", "汇总型采分点需要汇总定义"),
    ("the standard and warning values must name", "standard_value", "标准值和预警值应为某一等级"),
    ("the standard value must earn", "standard_value", "标准值的得分不能低于预警值"),
]


def _by_field(problems: list[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for text in problems:
        field, zh = next(((f, z) for start, f, z in FINDINGS if text.startswith(start)), ("rule", "规则不一致"))
        errors.setdefault(field, []).append(f"{zh} / {text[:1].upper()}{text[1:]}.")
    return errors


def recorded_range(target: ScoringRule) -> tuple[float, float] | None:
    """The lowest and highest value that counts for this point this term, or None before any."""
    low, high = db.session.execute(
        select(func.min(ScoreEntry.value), func.max(ScoreEntry.value)).where(
            ScoreEntry.term_id == target.version.term_id, ScoreEntry.point_id == target.point_id, ledger.counts())).one()
    return None if low is None else (low, high)


def _range_errors(target: ScoringRule) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if target.min_value >= target.max_value:
        errors["max_value"] = [f"最大值应大于最小值 {target.min_value:g} / The maximum must exceed the minimum."]
        return errors
    found = recorded_range(target)
    if found is None:
        return errors
    low, high = found
    if target.min_value > low:
        errors["min_value"] = [f"已录入的值低至 {low:g}，最小值不能高于它 / "
                               f"Values down to {low:g} are recorded; the minimum cannot be above it."]
    if target.max_value < high:
        errors["max_value"] = [f"已录入的值高至 {high:g}，最大值不能低于它 / "
                               f"Values up to {high:g} are recorded; the maximum cannot be below it."]
    return errors


def add_point(term: Term, body: dict, actor_id: int) -> ScoringRule:
    """A college's own point in this term's catalogue (later terms inherit it; earlier ones never
    see it). Its code is made here: X-<domain letter>-<next number in the domain>."""
    names = {n for n, in db.session.execute(select(ScoringPoint.name_zh).where(ScoringPoint.domain == body["domain"]))}
    if body["name_zh"] in names:
        raise Problem(422, INVALID, errors={"name_zh": ["该领域已有同名采分点 / The domain already has a point of this name."]})
    number = (db.session.scalar(select(func.max(ScoringPoint.number)).where(ScoringPoint.domain == body["domain"])) or 0) + 1
    lo, hi = value_range(body["value_type"], body["min_value"], body["max_value"], None)
    point = ScoringPoint(code=f"X-{body['domain'][0].upper()}-{number:02d}", level="individual", domain=body["domain"],
                         number=number, name_zh=body["name_zh"], name_en=body["name_en"])
    db.session.add(point)
    db.session.flush()
    target = ScoringRule(
        version_id=ensure_version(term).id, point_id=point.id, timing=body["timing"], scorer_roles=body["scorer_roles"],
        value_type=body["value_type"], min_value=lo, max_value=hi, levels=None, source="entered", aggregate=None,
        conversion={"kind": "linear", "from": [lo, hi]}, weight=body["weight"], direction=body["direction"],
        standard_value=body["standard_value"], warning_value=body["warning_value"], sensitive=None,
        rationale=body["rationale"], updated_by=actor_id, updated_at=clock.now())
    target.point = point
    errors = {**_by_field(check_rule(target)), **(_range_errors(target) if lo >= hi else {})}
    if errors:
        raise Problem(422, INVALID, errors=errors)
    db.session.add(target)
    audit.record(actor_id, "catalogue.add_point", "scoring_rule", f"{term.id}:{point.code}", body)
    touch("term", term.id, [term.id])
    db.session.commit()
    return target


def update_rule(term: Term, code: str, changes: dict, actor_id: int) -> ScoringRule:
    target = rule(term, code)
    before = {k: getattr(target, k) for k in changes}
    for key, value in changes.items():
        setattr(target, key, value)
    bad_conversion = conversion_problems(target)
    if bad_conversion:
        raise Problem(422, INVALID, errors={"conversion": bad_conversion})
    errors = {**_by_field(check_rule(target)), **(_range_errors(target) if {"min_value", "max_value"} & set(changes)
                                                  else {})}
    if errors:
        raise Problem(422, INVALID, errors=errors)
    target.updated_by = actor_id
    target.updated_at = clock.now()
    audit.record(actor_id, "catalogue.update", "scoring_rule", f"{term.id}:{code}",
                 {"before": before, "after": changes})
    touch("term", term.id, [term.id])  # thresholds and conversions change every rollup of the term
    db.session.commit()
    return target
