"""Warning rules: seeded from seed/warning_rules.yaml, edited by a school admin, and checked
against one student's indicators. Pure functions of their inputs apart from seeding and edits."""
import math
from dataclasses import dataclass, field
from functools import cache

import yaml
from sqlalchemy import select

from backend.auth.policy.alerts import SENSITIVE_CHAIN
from backend.auth.roles import Role
from backend.config import ROOT
from backend.errors import Problem
from backend.extensions import db
from backend.models import WarningRule
from backend.models.warning import MIN_EVIDENCE_DEFAULT
from backend.platform import audit, clock
from backend.valuecard.card import DOMAINS

SEED_FILE = ROOT / "seed" / "warning_rules.yaml"
LEVELS = ("yellow", "orange", "red")
SENSITIVE = frozenset({"discipline", "mental_health", "finance"})
GROUPS = ("hardship", "psychological", "employment")
OPS = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}
# Who may act on a need-to-know warning: the roles that read sensitive data, and the department
# as the last step of escalation (docs/DOMAIN.md §7).
EDITABLE = ("params", "levels", "min_evidence", "chain", "ack_hours", "enabled", "explanation_zh", "explanation_en",
            "advice_zh", "advice_en")
# The least evidence before a value may raise anything (seed/warning_rules.yaml explains the
# defaults): a point computed from attendance marks needs `sessions` marked sessions spread over
# at least `days` calendar days (first to last, inclusive); a point scored in the ledger needs
# `values` entries that count. Bounds: what a term can hold.
MIN_EVIDENCE = {"sessions": (1, 200), "days": (1, 140), "values": (1, 40)}
ATTENDANCE_SOURCE = "attendance"


@cache
def load_seed() -> list[dict]:
    return yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))["rules"]


def seed() -> int:
    """Add the seed's rules that are missing; never overwrite an edited rule."""
    have = set(db.session.scalars(select(WarningRule.code)))
    added = 0
    for item in load_seed():
        if item["code"] not in have:
            db.session.add(WarningRule(
                code=item["code"], kind=item["kind"], category=item["category"], params=item["params"],
                levels=item["levels"], chain=item["chain"], ack_hours=item["ack_hours"], name_zh=item["zh"],
                name_en=item["en"], explanation_zh=item["explanation_zh"], explanation_en=item["explanation_en"],
                advice_zh=item["advice_zh"], advice_en=item["advice_en"], **_min_evidence(item)))
            added += 1
    return added


def _min_evidence(item: dict) -> dict:
    """The seed's minimum evidence where it differs from the database default (which fills the
    column otherwise, so seeding also runs on a schema from before the column)."""
    wanted = {**MIN_EVIDENCE_DEFAULT, **item.get("min_evidence", {})}
    return {} if wanted == MIN_EVIDENCE_DEFAULT else {"min_evidence": wanted}


def enabled() -> list[WarningRule]:
    return list(db.session.scalars(select(WarningRule).where(WarningRule.enabled).order_by(WarningRule.id)))


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _signal_ok(s) -> bool:
    if not isinstance(s, dict):
        return False
    if set(s) == {"point", "op", "value"}:
        return isinstance(s["point"], str) and 0 < len(s["point"]) <= 32 and s["op"] in OPS and _number(s["value"])
    if set(s) == {"group"}:
        return s["group"] in GROUPS
    return set(s) == {"assessment_drop"} and _number(s["assessment_drop"])


def params_problem(kind: str, params) -> str | None:
    """Why a rule's params (free JSON from a school admin's edit) cannot drive `check`, or None.
    A threshold rule names a domain; a composite rule lists its signals and may have a gate."""
    if not isinstance(params, dict):
        return "params is an object."
    if kind == "threshold":
        if set(params) != {"domain"} or params["domain"] not in DOMAINS:
            return f"A threshold rule's params are {{domain}}, one of {', '.join(DOMAINS)}."
        return None
    if set(params) - {"signals", "gate"}:
        return "A composite rule's params are {signals} and optionally {gate}."
    signals = params.get("signals")
    if not isinstance(signals, list) or not signals:
        return "A composite rule needs at least one signal (a list)."
    for s in signals:
        if not _signal_ok(s):
            return f"Bad signal {s!r}: use {{point, op, value}}, {{group}} or {{assessment_drop}}."
    gate = params.get("gate", {})
    if not isinstance(gate, dict) or set(gate) - {"final_year", "group"} or \
            ("final_year" in gate and not isinstance(gate["final_year"], bool)) or \
            ("group" in gate and gate["group"] not in GROUPS):
        return f"gate is {{final_year: true|false}} and/or {{group}}, a group of {', '.join(GROUPS)}."
    return None


def validate(rule: WarningRule, changes: dict) -> None:
    """422 with field errors for an edit that would make the rule meaningless or leak data."""
    errors: dict[str, list[str]] = {}
    levels = changes.get("levels", rule.levels)
    if not levels or set(levels) - set(LEVELS):
        errors["levels"] = [f"Levels are some of {', '.join(LEVELS)}."]
    elif [levels[k] for k in LEVELS if k in levels] != sorted(levels[k] for k in levels):
        errors["levels"] = ["高一级的界限不能低于低一级 / A higher level needs a bound at least as high as a lower one."]
    elif problem := _levels_problem(rule, levels, changes.get("params", rule.params)):
        errors["levels"] = [problem]
    chain = changes.get("chain", rule.chain)
    if not chain or set(chain) - {r.value for r in Role} or Role.STUDENT in chain:
        errors["chain"] = ["The chain lists staff roles, first responder first."]
    elif rule.category in SENSITIVE and set(chain) - SENSITIVE_CHAIN:
        errors["chain"] = ["A need-to-know warning goes only to head teachers, counsellors, student affairs, "
                           "the department or the school admin."]
    params = changes.get("params", rule.params)
    problem = params_problem(rule.kind, params)
    if problem:
        errors["params"] = [problem]
    if "min_evidence" in changes:
        errors.update(min_evidence_problems(changes["min_evidence"]))
    if errors:
        raise Problem(422, "预警规则无效 / Invalid warning rule", errors=errors)


def min_evidence_problems(value) -> dict[str, list[str]]:
    """Field errors for a rule's minimum evidence: {sessions, days, values}, whole numbers in range."""
    if not isinstance(value, dict):
        return {"min_evidence": ["应为对象 {sessions, days, values} / An object {sessions, days, values}."]}
    errors = {}
    for key in set(value) - set(MIN_EVIDENCE):
        errors[f"min_evidence.{key}"] = ["未知字段 / Unknown field: use sessions, days and values."]
    for key, (lo, hi) in MIN_EVIDENCE.items():
        if key not in value:
            errors[f"min_evidence.{key}"] = ["必填 / Required."]
        elif not isinstance(value[key], int) or isinstance(value[key], bool) or not lo <= value[key] <= hi:
            errors[f"min_evidence.{key}"] = [f"应为 {lo}–{hi} 的整数 / A whole number from {lo} to {hi}."]
    return errors


def _levels_problem(rule: WarningRule, levels: dict, params) -> str | None:
    """A threshold rule's levels are percentages of a point's scale past its warning value; a
    composite rule's count signals met, so a level needing more signals than the rule has never fires."""
    if any(not _number(v) or v < 0 for v in levels.values()):
        return "界限应为非负数 / Each level's bound is a number of at least 0."
    if rule.kind == "threshold" and max(levels.values()) > 100:
        return "界限是超出预警值的百分比，应在 0–100 之间 / The bounds are percentages past the warning value: 0–100."
    if rule.kind == "composite" and params_problem(rule.kind, params) is None and \
            max(levels.values()) > len(signals := params["signals"]):
        return (f"该规则只有 {len(signals)} 个信号，界限不能超过此数 / "
                f"The rule has {len(signals)} signals; no level can need more.")
    return None


def update(rule: WarningRule, changes: dict, actor_id: int) -> WarningRule:
    """Apply a school admin's edit (validated, audited); the next evaluation uses it."""
    validate(rule, changes)
    before = {key: getattr(rule, key) for key in EDITABLE if key in changes}
    for key in EDITABLE:
        if key in changes:
            setattr(rule, key, changes[key])
    rule.updated_by, rule.updated_at = actor_id, clock.now()
    audit.record(actor_id, "warning_rule.update", "warning_rule", rule.code,
                 {"before": before, "after": {key: changes[key] for key in before}})
    return rule


@dataclass
class Subject:
    """What a rule looks at for one student this term."""

    indicators: dict[str, float]  # point code → indicator
    groups: set[str] = field(default_factory=set)  # open special-group records
    final_year: bool = False
    # How far the mean self-assessed level fell since last term (services/assessment.drops).
    assessment_drop: float | None = None
    # How much lies behind each indicator (point code → {"values": n} for ledger points,
    # {"sessions": n, "days": d} for attendance points); None: not counted, every indicator is evidence.
    support: dict[str, dict] | None = None


def minimum(rule: WarningRule) -> dict:
    """The rule's minimum evidence, the defaults filling what it does not say."""
    return {**MIN_EVIDENCE_DEFAULT, **(rule.min_evidence or {})}


def enough(minimum: dict, support: dict | None) -> bool:
    """Whether what lies behind a value meets the rule's minimum evidence."""
    if support is None:
        return False
    minimum = {**MIN_EVIDENCE_DEFAULT, **(minimum or {})}
    if "sessions" in support:
        return support["sessions"] >= minimum["sessions"] and support.get("days", 0) >= minimum["days"]
    return support.get("values", 0) >= minimum["values"]


def evidence_of(rule: WarningRule, subject: Subject) -> dict[str, float]:
    """The indicators that count as evidence for this rule: those with enough behind them. Below
    the minimum a value is not evidence: nothing is raised from it."""
    if subject.support is None:
        return subject.indicators
    return {code: v for code, v in subject.indicators.items() if enough(rule.min_evidence, subject.support.get(code))}


@dataclass
class Finding:
    level: str
    values: list[dict]  # the indicators that crossed the line
    groups: list[str]


def _level(levels: dict, measure: float) -> str | None:
    reached = [name for name in LEVELS if name in levels and measure >= levels[name]]
    return reached[-1] if reached else None


def check(rule: WarningRule, subject: Subject, points: dict) -> Finding | None:
    """The rule's finding for a student, or None. `points` maps code → the term's ScoringRule."""
    indicators = evidence_of(rule, subject)
    if rule.kind == "threshold":
        return _threshold(rule, subject, indicators, points)
    gate = rule.params.get("gate", {})
    if gate.get("final_year") and not subject.final_year or gate.get("group") and gate["group"] not in subject.groups:
        return None
    values, groups = [], []
    for s in rule.params["signals"]:
        if "group" in s:
            if s["group"] in subject.groups:
                groups.append(s["group"])
        elif "assessment_drop" in s:
            if subject.assessment_drop is not None and subject.assessment_drop >= s["assessment_drop"]:
                values.append({"code": "self_assessment_drop", "indicator": subject.assessment_drop,
                               "condition": f"fell by >= {s['assessment_drop']}"})
        elif s["point"] in indicators and OPS[s["op"]](indicators[s["point"]], s["value"]):
            values.append(_value(points.get(s["point"]), s["point"], indicators[s["point"]], s, subject))
    level = _level(rule.levels, len(values) + len(groups))
    return Finding(level, values, groups) if level else None


def _threshold(rule, subject: Subject, indicators: dict, points: dict) -> Finding | None:
    values = []
    for code, value in indicators.items():
        p = points.get(code)
        if (p is None or p.point.domain != rule.params["domain"] or p.sensitive or p.warning_value is None
                or p.value_type == "document"):  # a missing plan is the plan review's business
            continue
        past = value - p.warning_value if p.direction == "lower_better" else p.warning_value - value
        if past > 0:
            share = 100 * past / ((p.max_value - p.min_value) or 1)
            values.append({**_value(p, code, value, None, subject), "past_by_percent": round(share, 1)})
    if not values:
        return None
    worst = max(v["past_by_percent"] for v in values)
    return Finding(_level(rule.levels, worst) or LEVELS[0], values, [])


def _value(p, code: str, value: float, signal: dict | None = None, subject: Subject | None = None) -> dict:
    out = {"code": code, "indicator": value}
    if subject is not None and subject.support and code in subject.support:
        out["basis"] = subject.support[code]  # what lies behind it: {values} or {sessions, days}
    if p is not None:
        out.update(name_zh=p.point.name_zh, name_en=p.point.name_en, warning_value=p.warning_value,
                   standard_value=p.standard_value)
    if signal:
        out["condition"] = f"{signal['op']} {signal['value']}"
    return out
