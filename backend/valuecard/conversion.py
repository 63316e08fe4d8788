"""From an indicator value to card points (0–100), by the rule's conversion."""
import math
from bisect import bisect_right

VALUE_RANGES = {"rate": (0.0, 100.0), "document": (0.0, 1.0)}
# Each kind of conversion and the keys it takes besides `kind`.
KINDS = {"boolean": set(), "levels": set(), "steps": {"steps"}, "linear": {"from"}}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def conversion_problems(rule) -> list[str]:
    """Reasons the rule's conversion cannot turn a value into points (it came from a school admin's
    edit as free JSON); empty when to_points can use it."""
    conv = rule.conversion
    kind = conv.get("kind") if isinstance(conv, dict) else None
    if not isinstance(kind, str) or kind not in KINDS:
        return [f"A conversion needs a kind: one of {', '.join(KINDS)}."]
    extra = set(conv) - {"kind"} - KINDS[kind]
    if extra:
        return [f"A {kind} conversion takes no {', '.join(sorted(map(str, extra)))}."]
    if kind == "levels" and not (isinstance(rule.levels, list) and rule.levels):
        return ["A levels conversion needs the point's levels."]
    if kind == "steps":
        steps = conv.get("steps")
        if not (isinstance(steps, list) and steps and all(
                isinstance(s, list) and len(s) == 2 and _number(s[0]) and _number(s[1]) and 0 <= s[1] <= 100
                for s in steps)):
            return ["steps is a list of [value, points] pairs, points between 0 and 100."]
        if any(a[0] >= b[0] for a, b in zip(steps, steps[1:])):
            return ["The steps' values must increase."]
    if kind == "linear":
        span = conv.get("from")
        if not (isinstance(span, list) and len(span) == 2 and _number(span[0]) and _number(span[1])
                and span[0] < span[1]):
            return ["from is [lowest, highest], two numbers, the lowest first."]
    return []


def to_points(rule, value: float) -> float:
    conv = rule.conversion
    kind = conv["kind"]
    if kind == "boolean":
        return 100.0 if value >= 1 else 0.0
    if kind == "levels":
        return float(rule.levels[int(value)]["points"])
    if kind == "steps":
        thresholds = [s[0] for s in conv["steps"]]
        i = max(bisect_right(thresholds, value) - 1, 0)
        return float(conv["steps"][i][1])
    if kind == "linear":
        lo, hi = conv["from"]
        share = min(max((value - lo) / (hi - lo), 0.0), 1.0)
        if rule.direction == "lower_better":
            share = 1.0 - share
        return round(100.0 * share, 2)
    raise ValueError(f"unknown conversion {kind!r}")


def is_past_warning(rule, value: float) -> bool:
    """True when a value crosses the rule's warning value (the worse side of it)."""
    if rule.warning_value is None:
        return False
    if rule.direction == "lower_better":
        return value > rule.warning_value
    return value < rule.warning_value


def value_range(value_type: str, minimum, maximum, levels) -> tuple[float, float]:
    if value_type in VALUE_RANGES:
        return VALUE_RANGES[value_type]
    if value_type == "level":
        return 0.0, float(len(levels) - 1)
    if value_type == "count":
        return 0.0, float(maximum if maximum is not None else 1000)
    return float(minimum), float(maximum)


def check_rule(rule) -> list[str]:
    """Reasons a rule is inconsistent; empty when it is sound."""
    problems = conversion_problems(rule)
    if problems:
        return problems
    better = (lambda a, b: a >= b) if rule.direction == "higher_better" else (lambda a, b: a <= b)
    lo, hi = rule.min_value, rule.max_value
    for name in ("standard_value", "warning_value"):
        v = getattr(rule, name)
        if v is not None and not lo <= v <= hi:
            problems.append(f"{name} {v} is outside the value range {lo}–{hi}")
    if rule.warning_value is not None and not better(rule.standard_value, rule.warning_value):
        problems.append("the warning value must lie on the worse side of the standard value")
    if rule.value_type == "level" and not rule.levels:
        problems.append("a level point needs its levels")
    if not 0 <= rule.weight <= 1:
        problems.append("weight must be between 0 and 1")
    if rule.source == "aggregate" and not rule.aggregate:
        problems.append("an aggregate point needs its aggregate definition")
    if rule.conversion["kind"] == "levels" and \
            not all(isinstance(v, (int, float)) and 0 <= v < len(rule.levels)
                    for v in (rule.standard_value, rule.warning_value) if v is not None):
        problems.append("the standard and warning values must name one of the levels")
    if not problems and rule.warning_value is not None and \
            to_points(rule, rule.standard_value) < to_points(rule, rule.warning_value):
        problems.append("the standard value must earn at least the points of the warning value")
    return problems
