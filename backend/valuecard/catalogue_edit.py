"""A school admin's edit of a term's scoring rule: checked field by field, refused with a 422
naming the field, audited, and never able to orphan a value already recorded."""
from sqlalchemy import func, select

from backend.errors import Problem
from backend.extensions import db
from backend.models import ScoreEntry, ScoringPoint, ScoringRule, Term
from backend.platform import audit, clock
from backend.platform.changes import touch
from backend.valuecard import catalogue, ledger
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


DOMAIN_ZH = {"academic": "学业发展", "personal": "个人发展", "career": "职业发展"}
WEIGHT_TOLERANCE = 0.001  # weights are typed with two or three decimals: 0.333 × 3 is 1


def _default_conversion(value_type: str, lo: float, hi: float) -> dict:
    return {"document": {"kind": "boolean"}, "level": {"kind": "levels"}}.get(value_type, {"kind": "linear", "from": [lo, hi]})


def add_point(term: Term, body: dict, actor_id: int) -> ScoringRule:
    """A college's own point in this term's catalogue (later terms inherit it; earlier ones never
    see it). Its code is made here: X-<domain letter>-<next number in the domain>. `weights`
    re-balances the domain's other points in the same step, so the domain still adds up to 1."""
    names = {n for n, in db.session.execute(select(ScoringPoint.name_zh).where(ScoringPoint.domain == body["domain"]))}
    if body["name_zh"] in names:
        raise Problem(422, INVALID, errors={"name_zh": ["该领域已有同名采分点 / The domain already has a point of this name."]})
    if body["value_type"] == "level" and not body.get("levels"):
        raise Problem(422, INVALID, errors={"levels": ["等级型采分点需要等级 / A level point needs its levels."]})
    number = (db.session.scalar(select(func.max(ScoringPoint.number)).where(ScoringPoint.domain == body["domain"])) or 0) + 1
    lo, hi = value_range(body["value_type"], body["min_value"], body["max_value"], body.get("levels"))
    point = ScoringPoint(code=f"X-{body['domain'][0].upper()}-{number:02d}", level="individual", domain=body["domain"],
                         number=number, name_zh=body["name_zh"], name_en=body["name_en"])
    target = ScoringRule(
        timing=body["timing"], scorer_roles=body["scorer_roles"], value_type=body["value_type"], unit=body.get("unit"),
        min_value=lo, max_value=hi, levels=body.get("levels"), source="entered", aggregate=None,
        conversion=body.get("conversion") or _default_conversion(body["value_type"], lo, hi), weight=body["weight"],
        direction=body["direction"], standard_value=body["standard_value"], warning_value=body["warning_value"],
        sensitive=None, rationale=body["rationale"], updated_by=actor_id, updated_at=clock.now())
    target.point = point
    bad_conversion = conversion_problems(target)
    errors = {"conversion": bad_conversion} if bad_conversion else \
        {**_by_field(check_rule(target)), **(_range_errors(target) if lo >= hi else {})}
    if errors:
        raise Problem(422, INVALID, errors=errors)
    db.session.add(point)
    db.session.flush()
    target.point_id, target.version_id = point.id, ensure_version(term).id
    db.session.add(target)
    db.session.flush()
    _check_weights(term, "individual", body["domain"], body.get("weights") or {}, "weights")
    audit.record(actor_id, "catalogue.add_point", "scoring_rule", f"{term.id}:{point.code}", body)
    touch("term", term.id, [term.id])
    db.session.commit()
    return target


def _check_weights(term: Term, level: str, domain: str, weights: dict[str, float], field: str) -> dict:
    """Set `weights` ({code: weight}) on the domain's points of the term, then refuse (422 naming the
    domain's weights) unless they add up to 1. Returns the weights before, for the audit."""
    rules = [r for r in catalogue.rules(term) if r.point.level == level and r.point.domain == domain]
    by_code = {r.point.code: r for r in rules}
    errors = {f"{field}.{code}": ["不是该领域的采分点 / Not a point of this domain."] for code in weights if code not in by_code}
    if errors:
        raise Problem(422, INVALID, errors=errors)
    before = {code: by_code[code].weight for code in weights}
    for code, weight in weights.items():
        by_code[code].weight = weight
    total = round(sum(r.weight for r in rules), 4)
    if abs(total - 1) > WEIGHT_TOLERANCE:
        listing = ", ".join(f"{r.point.code} {r.weight:g}" for r in rules)
        raise Problem(422, INVALID, errors={field: [
            f"{DOMAIN_ZH[domain]}各采分点权重合计 {total:g}，应为 1（{listing}） / "
            f"The {domain} points' weights add up to {total:g}, not 1 ({listing})."]})
    return before


def set_weights(term: Term, level: str, domain: str, weights: dict[str, float], actor_id: int) -> list[ScoringRule]:
    """Re-balance a domain's weights in one step (they must add up to 1); audited."""
    ensure_version(term)
    before = _check_weights(term, level, domain, weights, "weights")
    for target in catalogue.rules(term):
        if target.point.code in weights:
            target.updated_by, target.updated_at = actor_id, clock.now()
    audit.record(actor_id, "catalogue.weights", "catalogue_version", f"{term.id}:{level}:{domain}",
                 {"before": before, "after": weights})
    touch("term", term.id, [term.id])
    db.session.commit()
    return [r for r in catalogue.rules(term) if r.point.level == level and r.point.domain == domain]


def _value_type_errors(target: ScoringRule, value_type: str) -> dict[str, list[str]]:
    """A point with entries keeps its value type: its recorded values mean what the type said."""
    if value_type == target.value_type:
        return {}
    recorded = db.session.scalar(select(ScoreEntry.id).where(
        ScoreEntry.term_id == target.version.term_id, ScoreEntry.point_id == target.point_id).limit(1))
    if recorded is not None:
        return {"value_type": ["已有录入记录，不能更改取值类型 / The point has entries: its value type cannot change."]}
    return {}


def update_rule(term: Term, code: str, changes: dict, actor_id: int) -> ScoringRule:
    target = rule(term, code)
    if "value_type" in changes:
        errors = _value_type_errors(target, changes["value_type"])
        if errors:
            raise Problem(422, INVALID, errors=errors)
        if changes["value_type"] != target.value_type:
            lo, hi = value_range(changes["value_type"], changes.get("min_value", target.min_value),
                                 changes.get("max_value", target.max_value), changes.get("levels", target.levels))
            changes = {"min_value": lo, "max_value": hi, **changes}
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
    if "weight" in changes:  # alone, a weight change must keep the domain at 1 (else use set_weights)
        _check_weights(term, target.point.level, target.point.domain, {}, "weight")
    target.updated_by = actor_id
    target.updated_at = clock.now()
    audit.record(actor_id, "catalogue.update", "scoring_rule", f"{term.id}:{code}",
                 {"before": before, "after": changes})
    touch("term", term.id, [term.id])  # thresholds and conversions change every rollup of the term
    db.session.commit()
    return target
