"""The development value card: indicators → points → domain subtotals → total → value added.

Computed on read from the ledger and the attendance marks, so every figure can
be re-derived and audited. An indicator is the student's value for a point over
the term: the latest value for points scored once a term, the mean over periods
for points scored weekly, monthly or per session. Subtotals are weighted over
the points that have data so far, with the covered weight shown, so an
early-term card is not dragged to zero by points nobody could score yet.

Every value carries the teaching week it belongs to (its period's week, or the
week it was recorded for once-a-term points), so the card "as of week N" is the
same computation over the values up to N: that gives the weekly and monthly
history and the start-of-term baseline.
"""
import calendar
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from backend.extensions import db
from backend.models import (
    ClassGroup,
    Rollup,
    ScoreEntry,
    StudentProfile,
    Term,
)
from backend.org import membership
from backend.platform import clock
from backend.valuecard import attendance, catalogue, grades, ledger, stored_cards
from backend.valuecard.conversion import is_past_warning, to_points
from backend.valuecard.incidents import ATTENDANCE_POINTS

DOMAINS = ("academic", "personal", "career")
# A class figure (a median, a mean) over fewer students than this is not shown as the class's:
# it says little, and from two students a median gives each one's figure away.
MIN_GROUP = 5
AGGREGATES = {
    "mean": lambda values, spec: round(sum(values) / len(values), 2),
    "sum": lambda values, spec: float(sum(values)),
    "share": lambda values, spec: round(100 * sum(_OPS[spec["op"]](v, spec["value"]) for v in values) / len(values), 2),
    "count": lambda values, spec: float(len(values)),
}
# An aggregate of a class point scored per meeting, from its (mean, how many meetings).
OVER_MEETINGS = {"mean": lambda mean, n: mean, "count": lambda mean, n: float(n)}
_OPS = {"lt": lambda a, b: a < b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}

Values = dict[int, list[tuple[int, float]]]  # point id → [(teaching week, value)], oldest first
Indicators = dict[int, tuple[float, int]]  # point id → (indicator, how many values it is over)
Weekly = dict[int, dict[int, tuple[int, float]]]  # point id → {teaching week: (how many values, their sum)}


@dataclass
class Card:
    points: list[dict] = field(default_factory=list)
    subtotals: dict = field(default_factory=dict)
    total: float | None = None
    # Per domain and "all": how many of the points shown have a value ("3 / 12 项").
    coverage: dict = field(default_factory=dict)

    def indicator(self, code: str) -> float | None:
        return next((p["indicator"] for p in self.points if p["code"] == code), None)


def _values(term: Term, rules, student_ids=None, class_id=None) -> dict[int | None, Values]:
    """Values that count per subject (student, or None for a class's own entries) and point."""
    if class_id is not None:
        subject = (ScoreEntry.class_id == class_id) & ScoreEntry.student_id.is_(None)
    else:  # every student's when None
        subject = ScoreEntry.student_id.is_not(None) if student_ids is None else ScoreEntry.student_id.in_(student_ids)
    rows = db.session.execute(
        select(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.week, ScoreEntry.value)
        .where(ScoreEntry.term_id == term.id, subject, ledger.counts()).order_by(ScoreEntry.id))
    values: dict = defaultdict(lambda: defaultdict(list))
    for student_id, point_id, week, value in rows:
        values[student_id][point_id].append((week, value))
    if class_id is None:
        point_of = {r.point.code: r.point_id for r in rules}
        for student_id, by_code in attendance.indicator_values(student_ids, term.id).items():
            for code, series in by_code.items():
                values[student_id][point_of[code]] = series
        for student_id, by_point in grades.student_values(term, rules, student_ids).items():
            values[student_id].update(by_point)
    else:
        values[None].update(grades.class_values(term, rules, [class_id]).get(class_id, {}))
    return values


def indicator(total: float, count: int) -> float:
    """A point's indicator over the term: the mean of the values that count. Points scored once
    a term have one value (a second is refused until the first is reversed), so it is that value.
    The sum is rounded first so that the order values were added in (an index scan for one
    class, a table scan for all) cannot move the indicator in its last digit."""
    return round(round(total, 6) / count, 2)


def weekly(values: Values) -> Weekly:
    """Values summed per teaching week: all a card, its history and its start need."""
    out: Weekly = {}
    for point_id, series in values.items():
        for week, value in series:
            add(out, point_id, week, 1, value)
    return out


def add(totals: Weekly, point_id: int, week: int, n: int, total: float) -> None:
    """Add (or, with n < 0, take away) values of a point's week; a week left with none goes."""
    weeks = totals.setdefault(point_id, {})
    t = weeks.get(week, (0, 0.0))
    t = (t[0] + n, t[1] + total)
    if t[0]:
        weeks[week] = t
    else:
        weeks.pop(week, None)


def indicators_of(totals: Weekly, until_week: int | None = None) -> Indicators:
    out = {}
    for point_id, weeks in totals.items():
        # In week order, as `_as_of` sums them, so that a card and its history's last week agree to the last digit.
        found = [t for week, t in sorted(weeks.items()) if until_week is None or week <= until_week]
        n = sum(k for k, _ in found)
        if n:
            out[point_id] = (indicator(sum(t for _, t in found), n), n)
    return out


def _indicators(values: Values, until_week: int | None = None) -> Indicators:
    return indicators_of(weekly(values), until_week)


def card_of(rules, weights: dict, indicators: Indicators) -> Card:
    card = Card()
    of, scored = defaultdict(int), defaultdict(int)
    points_of = {}
    for rule in rules:
        of[rule.point.domain] += 1
        if rule.point_id not in indicators:
            continue
        scored[rule.point.domain] += 1
        indicator, periods = indicators[rule.point_id]
        points = points_of[rule.point_id] = to_points(rule, indicator)
        card.points.append({"code": rule.point.code, "domain": rule.point.domain, "name_zh": rule.point.name_zh,
                            "name_en": rule.point.name_en, "indicator": indicator, "points": points,
                            "weight": rule.weight, "weighted": round(points * rule.weight, 2),
                            "standard_value": rule.standard_value, "warning_value": rule.warning_value,
                            "below_warning": is_past_warning(rule, indicator), "sensitive": rule.sensitive,
                            "source": rule.source, "periods": periods})
    card.coverage = {d: {"scored": scored[d], "of": of[d]} for d in DOMAINS}
    card.coverage["all"] = {"scored": sum(scored.values()), "of": len(rules)}
    card.subtotals, card.total = _summed(_plain(rules), weights, points_of)
    return card


def _plain(rules) -> list[tuple[int, str, float]]:
    """(point, domain, weight) of each rule: what the sums read, as plain values (a card's
    history sums them once a week)."""
    return [(rule.point_id, rule.point.domain, rule.weight) for rule in rules]


def _summed(plain, weights: dict, points_of: dict[int, float]) -> tuple[dict, float | None]:
    """Domain subtotals, weighted over the points that have data with the weight they cover, and the total."""
    sums = defaultdict(lambda: [0.0, 0.0])  # domain → [weighted points, covered weight]
    for point_id, domain, weight in plain:
        if point_id in points_of:
            sums[domain][0] += points_of[point_id] * weight
            sums[domain][1] += weight
    subtotals = {}
    for domain in DOMAINS:
        weighted, covered = sums.get(domain, (0.0, 0.0))
        subtotals[domain] = {"score": round(weighted / covered, 2) if covered else None,
                             "covered_weight": round(covered, 3)}
    scored = [(subtotals[d]["score"], weights[d]) for d in DOMAINS if subtotals[d]["score"] is not None]
    total = round(sum(s * w for s, w in scored) / sum(w for _, w in scored), 2) if scored else None
    return subtotals, total


def scorer(rules, weights: dict):
    """Subtotals and total from indicators, as `card_of` sums them, without the rest of a card:
    for many cards (a history's weeks, a class's students), each indicator converted once."""
    plain, rule_of, converted = _plain(rules), {r.point_id: r for r in rules}, {}

    def score(indicators: Indicators) -> tuple[dict, float | None]:
        points_of = {}
        for point_id, (value, _) in indicators.items():
            if point_id in rule_of:
                if (point_id, value) not in converted:
                    converted[(point_id, value)] = to_points(rule_of[point_id], value)
                points_of[point_id] = converted[(point_id, value)]
        return _summed(plain, weights, points_of)
    return score


def _as_of(rules, weights: dict, totals: Weekly):
    """The card's subtotals and total at the end of any week (None: today): `indicators_of` at
    that week, from running totals summed once in week order."""
    score, running = scorer(rules, weights), {}
    for point_id, weeks in totals.items():
        order, n, total, upto = sorted(weeks), 0, 0.0, []
        for week in order:
            n, total = n + weeks[week][0], total + weeks[week][1]
            upto.append((n, total))
        running[point_id] = (order, upto)

    def at(week: int | None) -> tuple[dict, float | None]:
        found = {}
        for point_id, (order, upto) in running.items():
            i = len(order) if week is None else bisect_right(order, week)
            if i:
                n, total = upto[i - 1]
                found[point_id] = (indicator(total, n), n)
        return score(found)
    return at


def _weights(term: Term) -> dict:
    return catalogue.domain_weights(term)


def _rules(term: Term, level: str):
    return [r for r in catalogue.read_only_rules(term) if r.point.level == level]


def cards_for(student_ids, term: Term, include_sensitive: bool = True) -> dict[int, Card]:
    return _cards(term, _rules(term, "individual"), _weights(term), student_ids, include_sensitive)


def _cards(term: Term, rules, weights: dict, student_ids, include_sensitive: bool = True,
           spans: dict | None = None) -> dict[int, Card]:
    """`spans`: for a class's figures, each member's weeks in the class (org/membership.py)."""
    values = _values(term, rules, student_ids)
    shown = _visible(rules, include_sensitive)
    return {sid: card_of(shown, weights, _indicators(membership.only_weeks(values.get(sid, {}), (spans or {}).get(sid))))
            for sid in student_ids}


def _visible(rules, include_sensitive: bool):
    """Without need-to-know points, subtotals are computed without them too, so they cannot be
    worked out by subtraction."""
    return rules if include_sensitive else [r for r in rules if not r.sensitive]


def previous_term(term: Term) -> Term | None:
    return db.session.scalar(select(Term).where(Term.starts_on < term.starts_on).order_by(Term.starts_on.desc()).limit(1))


def _weeks_so_far(term: Term) -> int:
    return min(max(term.week_of(clock.school_today()), 1), term.weeks)


def _history(term: Term, rules, weights, totals: Weekly) -> dict:
    """The card as it stood at the end of each week and month of the term so far."""
    last, at = _weeks_so_far(term), _as_of(rules, weights, totals)
    weeks = []
    for week in range(1, last + 1):
        # This week's figure is today's card: it holds this month's and this term's values too.
        subtotals, total = at(None if week == last else week)
        weeks.append({"week": week, "total": total, "subtotals": {d: subtotals[d]["score"] for d in DOMAINS}})
    months, day = [], term.starts_on.replace(day=1)
    while day <= term.ends_on and term.week_of(max(day, term.starts_on)) <= last:
        month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
        week = min(term.week_of(min(month_end, term.ends_on)), last)
        zh, en = ledger.period_label(f"month:{day:%Y-%m}")
        months.append({"month": day.strftime("%Y-%m"), "label_zh": zh, "label_en": en, "total": weeks[week - 1]["total"]})
        day = month_end + timedelta(days=1)
    return {"weeks": weeks, "months": months}


def weekly_trend(rules, weights: dict, totals: Weekly, weeks=None, score=None) -> list[list]:
    """The weekly trend of the subtotals and the total: per teaching week with values, [week,
    academic, personal, career, total] of that week's values alone, as a point's weekly trend is
    the mean of the values recorded that week (reporting/rollups.py `_trend`): each point's mean of
    the week converted and weighted as the card sums them (`scorer`). Unlike `_history`, a week's
    figure depends on that week's values only, so the rollup job stores it (stored_card.trends)
    and a read recomputes only a week something newer touched (`_stored_trend`).
    `weeks`: only those weeks (the rest are left out); `score`: a `scorer` of the rules to reuse (its
    conversions are cached, so a class's students share them)."""
    score, rows = score or scorer(rules, weights), []
    every = sorted({w for by_week in totals.values() for w in by_week})
    for week in every if weeks is None else [w for w in every if w in weeks]:
        found = {p: (indicator(by_week[week][1], by_week[week][0]), by_week[week][0])
                 for p, by_week in totals.items() if week in by_week}
        subtotals, total = score(found)
        rows.append([week, *(subtotals[d]["score"] for d in DOMAINS), total])
    return rows


def stored_trends(rules, weights: dict, totals: Weekly, grade_totals: Weekly, scorers=None) -> dict:
    """What the rollup job stores beside a student's weekly values (reporting/rollups.py): the trend
    as a reader who may and one who may not see sensitive points sees it, and the grade-fed values
    it was computed with (they are read live, so a read can tell whether they moved since).
    `rules`: the term's individual rules (`_rules`), all of them; `scorers`: `trend_scorers` of them, for many students."""
    inputs, (every, shown) = {**totals, **grade_totals}, scorers or trend_scorers(rules, weights)
    all_rows = weekly_trend(rules, weights, inputs, score=every)
    # A week without a value of a sensitive point sums the same without them (a point without a
    # value adds nothing, not even weight): only the weeks with one are computed again.
    sensitive = {w for r in rules if r.sensitive for w in inputs.get(r.point_id, ())}
    open_rows = {r[0]: r for r in weekly_trend(_visible(rules, False), weights, inputs, sensitive, shown)} if sensitive else {}
    return {"all": all_rows, "open": [open_rows.get(r[0], r) for r in all_rows],
            "grades": {str(p): [[w, n, t] for w, (n, t) in sorted(weeks.items())] for p, weeks in sorted(grade_totals.items())}}


def trend_scorers(rules, weights: dict) -> tuple:
    """The scorers of `stored_trends`: with and without sensitive points."""
    return scorer(rules, weights), scorer(_visible(rules, False), weights)


def _stored_trend(rules, weights, stored, totals: Weekly, include_sensitive: bool) -> list[list] | None:
    """The stored trend with the weeks whose inputs changed since it was stored recomputed (entries
    above the watermark, marks set since, grades imported since): a week's figure depends on its
    own values only. None when the row has none stored yet (its class's job has not run since
    the migration): the caller computes it."""
    if not stored.trends:
        return None
    then = stored_cards.totals(stored.weekly)
    then.update(stored_cards.totals(stored.trends["grades"]))
    dirty = {w for p in then.keys() | totals.keys() for w in then.get(p, {}).keys() | totals.get(p, {}).keys()
             if then.get(p, {}).get(w) != totals.get(p, {}).get(w)}
    rows = [r for r in stored.trends["all" if include_sensitive else "open"] if r[0] not in dirty]
    if dirty:
        rows = sorted(rows + weekly_trend(_visible(rules, include_sensitive), weights, totals, dirty))
    return rows


def trend_out(rows: list[list]) -> dict:
    return {"weeks": [r[0] for r in rows], **{d: [r[1 + i] for r in rows] for i, d in enumerate(DOMAINS)},
            "total": [r[4] for r in rows]}


def _added(now: float | None, then: float | None) -> float | None:
    return round(now - then, 2) if now is not None and then is not None else None


def term_start(term: Term, rules, weights, totals: Weekly) -> tuple[int | None, float | None]:
    """The start of the term: the week and total of the card at the end of the first week that had
    any data (the first total of `_history`; only weeks with new values can change it)."""
    last, at = _weeks_so_far(term), _as_of(rules, weights, totals)
    for week in sorted({w for weeks in totals.values() for w in weeks if w < last}) + [last]:
        total = at(None if week == last else week)[1]
        if total is not None:
            return week, total
    return None, None


def value_added(total: float | None, start: tuple[int | None, float | None], previous_total: float | None) -> dict:
    """The total against the end of last term and against the start of this one (with its week, so
    the figure can say what it is against)."""
    return {"previous_term": _added(total, previous_total), "previous_term_total": previous_total,
            "term_start": _added(total, start[1]), "term_start_total": start[1], "term_start_week": start[0]}


def _own_cards(term: Term, shown, weights, values, student_ids, include_sensitive: bool,
               spans: dict | None = None) -> dict[int, dict]:
    """Each student's card and value added, from values already read: the one computation behind a
    student's card and a class's roll."""
    before = previous_term(term)
    previous = cards_for(student_ids, before, include_sensitive) if before else {}
    out = {}
    for sid in student_ids:
        mine = weekly(membership.only_weeks(values.get(sid, {}), (spans or {}).get(sid)))
        card = card_of(shown, weights, indicators_of(mine))
        out[sid] = {"card": card, "value_added": value_added(
            card.total, term_start(term, shown, weights, mine), previous[sid].total if before else None)}
    return out


def shown_rules(term: Term, include_sensitive: bool):
    """The individual points a reader sees on a card (and as the roll's columns)."""
    return _visible(_rules(term, "individual"), include_sensitive)


def class_cards(student_ids, term: Term, include_sensitive: bool, spans: dict | None = None) -> dict[int, dict]:
    """Every student's card as `student_card` computes it, for a whole class at once: one read of
    the ledger and the marks per term, never a query per student. With `spans`, a member who was in
    the class for part of the term is counted for those weeks only (org/membership.py)."""
    rules, weights = _rules(term, "individual"), _weights(term)
    values = _values(term, rules, student_ids)
    return _own_cards(term, _visible(rules, include_sensitive), weights, values, student_ids, include_sensitive, spans)


def student_card(profile: StudentProfile, term: Term, include_sensitive: bool) -> dict:
    """The stored card plus what is newer than it; from the ledger when none is stored yet."""
    rules, weights = _rules(term, "individual"), _weights(term)
    found = stored_cards.lookup(term.id, profile.user_id, profile.class_id)
    if found.card is None:
        totals, previous = ledger_inputs(term, rules, profile.user_id)
        trend = None
    else:
        totals, previous = _stored_inputs(term, rules, found), found.card.previous
        trend = _stored_trend(rules, weights, found.card, totals, include_sensitive)
    return card_from(term, rules, weights, profile, totals, previous, include_sensitive, (found.median, found.count),
                     trend)


def ledger_inputs(term: Term, rules, student_id: int) -> tuple[Weekly, list]:
    """A student's values per week and last term's totals, read from the ledger and the marks."""
    values = _values(term, rules, [student_id])
    return weekly(values.get(student_id, {})), previous_totals(term, [student_id]).get(student_id, NO_PREVIOUS)


def _stored_inputs(term: Term, rules, found: stored_cards.Lookup) -> Weekly:
    student_id, totals = found.card.student_id, stored_cards.totals(found.card.weekly)
    for point_id, week, value, reversed_value in found.newer:
        if value is not None:
            add(totals, point_id, week, 1, value)
        else:  # a reversal takes its entry's value away, whether the entry is stored or newer
            add(totals, point_id, week, -1, reversed_value)
    if found.marks_changed:
        point_of = {r.point.code: r.point_id for r in rules}
        for code in ATTENDANCE_POINTS:
            totals.pop(point_of[code], None)
        totals.update(weekly({point_of[c]: s for c, s in attendance.indicator_values([student_id], term.id)
                              .get(student_id, {}).items()}))
    # Grade-fed points are never stored: a student's grades are a handful of rows, read as the ledger path does.
    totals.update(weekly(grades.student_values(term, rules, [student_id]).get(student_id, {})))
    return totals


NO_PREVIOUS = [None, None]  # last term's total with and without sensitive points


def previous_totals(term: Term, student_ids=None) -> dict[int, list]:
    """Each student's total of the term before, as a reader who may and one who may not see
    sensitive points sees it (every student's when None)."""
    before = previous_term(term)
    if before is None:
        return {}
    rules, weights = _rules(before, "individual"), _weights(before)
    values = _values(before, rules, student_ids)
    out = {}
    for sid, mine in values.items():
        found = _indicators(mine)
        out[sid] = [card_of(rules, weights, found).total, card_of(_visible(rules, False), weights, found).total]
    return out


def class_median(term: Term, class_id: int) -> tuple[float | None, int | None]:
    """The median of the class's totals and over how many, from its stored rollup."""
    return db.session.execute(select(Rollup.median, Rollup.count).where(
        Rollup.term_id == term.id, Rollup.unit == "class", Rollup.unit_id == class_id, Rollup.metric == "total")).first() \
        or (None, None)


def card_from(term: Term, rules, weights, profile: StudentProfile, totals: Weekly, previous: list,
              include_sensitive: bool, median: tuple[float | None, int | None], trend: list | None = None) -> dict:
    """The card a reader sees from a student's values per week: the stored path and the ledger path.
    `trend`: the weekly trend as stored (`_stored_trend`); computed here when None."""
    shown = _visible(rules, include_sensitive)
    card = card_of(shown, weights, indicators_of(totals))
    start = term_start(term, shown, weights, totals)
    median_total, median_n = median[0], median[1] or 0
    return {
        "term_id": term.id, "student_id": profile.user_id, "total": card.total, "subtotals": card.subtotals,
        "coverage": card.coverage, "sensitive_hidden": not include_sensitive,
        "value_added": value_added(card.total, start, previous[0 if include_sensitive else 1]),
        # A median, never a rank: students are compared with their class, not ordered within it;
        # and none from a handful of classmates, which would give theirs away.
        "class_median": median_total if median_n >= MIN_GROUP else None, "class_median_n": median_n,
        "min_group": MIN_GROUP,
        "points": card.points,
        "history": _history(term, shown, weights, totals),
        "trends": trend_out(weekly_trend(shown, weights, totals) if trend is None else trend),
    }


def class_indicators(rules, entered: Indicators, students: list[dict[str, float]]) -> Indicators:
    """A class's own indicators: aggregates over its students' indicators (point code → indicator),
    the rest as entered."""
    out = {rule.point_id: entered[rule.point_id] for rule in rules
           if rule.source != "aggregate" and rule.point_id in entered}
    own = {rule.point.code: rule.point_id for rule in rules}
    for rule in rules:
        if rule.source == "aggregate" and rule.aggregate["of"] in own:
            # Over the class's own meetings (C-P-01 over C-P-08): the entered point's mean and count.
            found = entered.get(own[rule.aggregate["of"]])
            if found:
                out[rule.point_id] = (OVER_MEETINGS[rule.aggregate["fn"]](*found), found[1])
        elif rule.source == "aggregate":
            spec = rule.aggregate
            found = [v for v in (s.get(spec["of"]) for s in students) if v is not None]
            if found:
                out[rule.point_id] = (AGGREGATES[spec["fn"]](found, spec), len(found))
    return out


def class_card(cls: ClassGroup, term: Term, include_sensitive: bool) -> dict:
    """The class's collective card: aggregates computed from its students' indicators,
    the other class points from the class's own entries."""
    members = membership.spans(term, [cls.id]).get(cls.id, {})
    students = list(members)
    every_rule, weights = catalogue.rules(term), _weights(term)
    cards = _cards(term, [r for r in every_rule if r.point.level == "individual"], weights, students, spans=members)
    rules = _visible([r for r in every_rule if r.point.level == "class"], include_sensitive)
    entered = _indicators(_values(term, rules, class_id=cls.id).get(None, {}))
    indicators = class_indicators(rules, entered, [{p["code"]: p["indicator"] for p in c.points} for c in cards.values()])
    card = card_of(rules, weights, indicators)
    aggregates = {r.point.code for r in rules if r.source == "aggregate"}
    for point in card.points:
        point["students_with_data"] = point["periods"] if point["code"] in aggregates else None
    return {"term_id": term.id, "class_id": cls.id, "class_name": cls.name, "students": len(students),
            "total": card.total, "subtotals": card.subtotals, "coverage": card.coverage, "points": card.points}
