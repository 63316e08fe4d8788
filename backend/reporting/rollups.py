"""Rollups: the statistics reports read, per unit (class, department, school) and metric.

A metric is a scoring point (its students' indicators), a domain subtotal or the total
(their cards). A class's rows come from its students' indicators, the very ones their
cards show (valuecard/card.py), plus the values recorded each week for the trend.
Department and school rows are merged from their classes' rows, never read from the
ledger: class rows keep their sorted values, so merged medians are exact.

`compute_classes` serves both paths with one query shape: the incremental job gives it one
class, the full rebuild every class. `store` writes only what differs, so a job that runs
twice changes nothing the second time, and `check` compares the stored rows with a full
recompute made in memory.
"""
import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    delete,
    func,
    select,
    text,
    true,
    tuple_,
    union_all,
)

from backend.extensions import db
from backend.models import AttendanceMark, ClassGroup, ClassSession, Rollup, ScoreEntry, Term
from backend.org import membership
from backend.platform import bulk, changes, clock
from backend.valuecard import attendance, card, catalogue, grades, ledger, stored_cards

DOMAIN_METRICS = (*card.DOMAINS, "total")
STATS = ("count", "mean", "median", "min", "max", "short_of_standard", "past_warning", "buckets", "trend",
         "values", "flagged")
Key = tuple[str, int, str]  # (unit, unit id, metric)
_LOCK = 0x5350_0000  # advisory-lock namespace for "rollups of term N"


def _lock(term_id: int) -> None:
    """One rollup writer per term at a time, and it reads the ledger only once it holds the
    lock: a full rebuild and a class refresh never overwrite each other's newer figures.
    (SQLite's BEGIN IMMEDIATE already serialises every writer.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK + term_id})


def bucket_edges(rule) -> list[float]:
    """Lower edges of the distribution's buckets, in the metric's own unit."""
    if rule is None:  # a subtotal or the total: card points 0–100
        return [float(e) for e in range(0, 100, 10)]
    if rule.value_type == "level":
        return [float(i) for i in range(len(rule.levels))]
    if rule.value_type == "document":
        return [0.0, 1.0]
    if rule.value_type == "count":
        return [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # the last bucket is "5 or more"
    step = (rule.max_value - rule.min_value) / 10
    return [round(rule.min_value + i * step, 2) for i in range(10)]


def _stats(values: list[float], rule) -> dict:
    """Statistics of sorted values; thresholds only for scoring points. Counts come from
    positions in the sorted values, never a pass over them."""
    n = len(values)
    edges = bucket_edges(rule)
    # A value below the first edge is counted in the first bucket, one at or past the last edge in the last.
    cuts = [0] + [bisect_left(values, e) for e in edges[1:]] + [n]
    middle = n // 2
    return {
        "count": n, "mean": round(sum(values) / n, 2),
        "median": round(values[middle] if n % 2 else (values[middle - 1] + values[middle]) / 2, 2),
        "min": values[0], "max": values[-1],
        "short_of_standard": None if rule is None else _past(values, rule.direction, rule.standard_value),
        "past_warning": None if rule is None or rule.warning_value is None else
        _past(values, rule.direction, rule.warning_value),
        "buckets": [[e, cuts[i + 1] - cuts[i]] for i, e in enumerate(edges)],
    }


def _past(values: list[float], direction: str, threshold: float) -> int:
    """How many sorted values are on the worse side of a threshold (conversion.is_past_warning)."""
    if direction == "lower_better":
        return len(values) - bisect_right(values, threshold)
    return bisect_left(values, threshold)


def _class_row(found: list[tuple[float, int | None]], rule, trend: dict) -> dict:
    values = sorted(v for v, _ in found)
    flagged = []
    if rule is not None and rule.warning_value is not None:  # conversion.is_past_warning, its rule read once
        warning, lower_better = rule.warning_value, rule.direction == "lower_better"
        flagged = sorted(s for v, s in found if s is not None and (v > warning if lower_better else v < warning))
    return {**_stats(values, rule), "trend": trend, "values": values, "flagged": flagged}


def _merged_row(rows: list[dict], rule) -> dict:
    values = sorted(v for r in rows for v in r["values"])
    trend: dict = {}
    for r in rows:
        for week, (n, total) in r["trend"].items():
            t = trend.setdefault(week, [0, 0.0])
            t[0] += n
            t[1] = round(t[1] + total, 4)
    return {**_stats(values, rule), "trend": trend, "values": None, "flagged": None}


def _partial(term: Term, rules, members: dict[int, dict[int, membership.Span]]) -> dict[tuple[int, int], dict]:
    """The indicators of students who belonged to a class for part of the term (moved, suspended,
    withdrawn): per (class, student), over the weeks they counted for it (org/membership.py)."""
    spans = {(c, s): span for c, m in members.items() for s, span in m.items() if span != (1, term.weeks)}
    if not spans:
        return {}
    students = sorted({s for _, s in spans})
    series: dict = defaultdict(lambda: defaultdict(list))  # student → point → [(week, n, total)]
    for student_id, point_id, week, n, total in db.session.execute(
            select(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.week, func.count(ScoreEntry.value),
                   func.sum(ScoreEntry.value))
            .where(ScoreEntry.term_id == term.id, ScoreEntry.student_id.in_(students), ledger.counts())
            .group_by(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.week).order_by(ScoreEntry.week)):
        series[student_id][point_id].append((week, int(n), float(total)))
    point_of = {r.point.code: r.point_id for r in rules}
    for student_id, by_code in attendance.indicator_values(students, term.id).items():
        for code, marks in by_code.items():
            series[student_id][point_of[code]] = [(week, 1, value) for week, value in marks]
    out = {}
    for (class_id, student_id), (lo, hi) in spans.items():
        found = {}
        for point_id, weeks in series.get(student_id, {}).items():
            inside = [(n, total) for week, n, total in weeks if lo <= week <= hi]
            if inside:
                n = sum(k for k, _ in inside)
                found[point_id] = (card.indicator(sum(t for _, t in inside), n), n)
        out[(class_id, student_id)] = found
    return out


def _ledger_weeks(term: Term, students, class_ids):
    """The one pass over the ledger: (student, class, point, week, values, sum) of the entries
    that count, in student, point and week order. A class's own entries have no student; an
    entry's class is the one it was recorded for, which the weekly trend goes to. With
    `class_ids`, the given students' entries and the classes' own."""
    columns = (ScoreEntry.student_id, ScoreEntry.class_id, ScoreEntry.point_id, ScoreEntry.week)
    if class_ids is None:
        query = select(*columns, func.count(ScoreEntry.value), func.sum(ScoreEntry.value)) \
            .where(ScoreEntry.term_id == term.id, ledger.counts()) \
            .group_by(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.week, ScoreEntry.class_id) \
            .order_by(ScoreEntry.student_id, ScoreEntry.point_id, ScoreEntry.week)
    else:
        # Two index reads (the students' entries; the classes' other entries) rather than one OR,
        # which SQLite answered by walking the whole term: 190 ms of a 600 ms class job.
        found = union_all(
            select(*columns, ScoreEntry.value).where(ScoreEntry.term_id == term.id, ledger.counts(),
                                                     ScoreEntry.student_id.in_(students)),
            select(*columns, ScoreEntry.value).where(
                ScoreEntry.term_id == term.id, ledger.counts(), ScoreEntry.class_id.in_(class_ids),
                ScoreEntry.student_id.is_(None) | ScoreEntry.student_id.not_in(students))).subquery()
        c = found.c
        query = select(c.student_id, c.class_id, c.point_id, c.week, func.count(c.value), func.sum(c.value)) \
            .group_by(c.student_id, c.point_id, c.week, c.class_id).order_by(c.student_id, c.point_id, c.week)
    # Plain rows, not through the ORM's loading (which costs more than the query at this size).
    return db.session.connection().execute(query)


def _attendance_weeks(student_ids, term_id: int):
    """(student, point code, week, values, sum) of the attendance indicators, counted in SQL per
    student, week and mark, in student and week order: the values `attendance.indicator_values`
    gives one per mark, summed (the stored-card test compares the two). S-A-02 is over attended
    sessions, 100 when on time; S-A-03 is 100 unless absent; S-A-04 is 100 when attended."""
    status = AttendanceMark.status
    count = {m: func.count().filter(status == m) for m in ("present", "late", "absent")}
    rows = db.session.connection().execute(
        select(AttendanceMark.student_id, ClassSession.week, count["present"], count["late"], count["absent"],
               func.count())
        .join(ClassSession, ClassSession.id == AttendanceMark.session_id)
        .where(ClassSession.term_id == term_id,
               true() if student_ids is None else AttendanceMark.student_id.in_(student_ids))
        .group_by(AttendanceMark.student_id, ClassSession.week)
        .order_by(AttendanceMark.student_id, ClassSession.week)).all()
    for student_id, week, present, late, absent, marks in rows:
        if present + late:
            yield student_id, "S-A-02", week, present + late, 100.0 * present
        yield student_id, "S-A-03", week, marks, 100.0 * (marks - absent)
        yield student_id, "S-A-04", week, marks, 100.0 * (present + late)


def _add(week_totals: dict, week: int, n: int, total: float) -> None:
    t = week_totals.get(week)
    if t is None:
        week_totals[week] = [n, total]
    else:
        t[0] += n
        t[1] += total


def _add_in_class(trends: dict, spans, point_id: int, week: int, value: float, n: int = 1) -> None:
    """A student's weekly values go to the class they were in that week (a move splits the term)."""
    for lo, hi, class_id in spans:
        if lo <= week <= hi:
            _add(trends[(class_id, point_id)], week, n, value)


def _trend(weeks: dict) -> dict:
    """Weekly totals as rows keep them: by week, sums rounded so that the order they were
    added in never shows."""
    return {str(w): [n, round(t, 4)] for w, (n, t) in sorted(weeks.items())}


def _series_indicator(series: list) -> tuple[float, int]:
    """A point's indicator from its [week, values, sum] series, summed in week order as
    card.indicators_of sums a card's weeks."""
    n, total = 0, 0.0
    for _, k, t in series:
        n += k
        total += t
    return card.indicator(total, n), n


def _inputs(term: Term, rules, rosters, class_ids):
    """Students' values per week (their stored cards) and indicators, weekly trends per (class,
    point), the classes' own entries, and the watermarks of what was read (valuecard/stored_cards.py).
    A student's values are kept as their stored card holds them: point → [[week, values, sum], ...]."""
    classes_of: dict = defaultdict(list)  # a student who moved counts each week for one class
    for c, members in rosters.items():
        for s, (lo, hi) in members.items():
            classes_of[s].append((lo, hi, c))
    subset = class_ids is not None
    students = list(classes_of) if subset else None
    own: dict = {s: {} for s in classes_of}  # student → point → series
    trends: dict = defaultdict(dict)  # (class, point) → {week: [values, sum]}
    entered: dict = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))  # class → point → [values, sum]
    in_classes = None if not subset else set(class_ids)
    marks_as_of = clock.now()
    mine, series, last = None, None, (None, None)
    for student_id, class_id, point_id, week, n, total in _ledger_weeks(term, students, class_ids).all():
        if not n:
            continue
        n, total = int(n), float(total)  # PostgreSQL sums counts as NUMERIC
        if student_id is None:
            if in_classes is None or class_id in in_classes:
                e = entered[class_id][point_id]
                e[0] += n
                e[1] += total
            continue
        if in_classes is None or class_id in in_classes:
            _add(trends[(class_id, point_id)], week, n, total)
        if (student_id, point_id) != last:
            last, mine = (student_id, point_id), own.get(student_id)
            series = None if mine is None else mine.setdefault(point_id, [])
        if series is None:
            continue
        if series and series[-1][0] == week:  # the same week recorded for two classes
            series[-1][1] += n
            series[-1][2] += total
        else:
            series.append([week, n, total])
    ledger_id = stored_cards.ledger_watermark()
    point_of = {r.point.code: r.point_id for r in rules}
    marked: set = set()
    for student_id, code, week, n, total in _attendance_weeks(students, term.id):
        if student_id not in own:
            continue
        point_id = point_of[code]
        if (student_id, point_id) not in marked:  # the marks' indicator replaces any typed value of the point
            marked.add((student_id, point_id))
            own[student_id][point_id] = []
        own[student_id][point_id].append([week, n, total])
        _add_in_class(trends, classes_of[student_id], point_id, week, total, n)
    indicators = {}
    for student_id, mine in own.items():
        for weeks in mine.values():
            for entry in weeks:  # as stored: the indicator is then the same from the row and from here
                entry[2] = round(entry[2], 6)
        indicators[student_id] = {p: _series_indicator(weeks) for p, weeks in mine.items()}
    graded = grades.student_values(term, rules, students)
    for student_id, by_point in graded.items():
        for point_id, values in by_point.items() if student_id in own else ():
            indicators[student_id][point_id] = (card.indicator(sum(v for _, v in values), len(values)), len(values))
            for week, value in values:
                _add_in_class(trends, classes_of[student_id], point_id, week, value)
    own_entered = {c: {p: (card.indicator(t, n), n) for p, (n, t) in by_point.items()} for c, by_point in entered.items()}
    for class_id, by_point in grades.class_values(term, rules, class_ids).items():
        own_entered.setdefault(class_id, {}).update(
            {p: (card.indicator(sum(v for _, v in s), len(s)), len(s)) for p, s in by_point.items()})
    previous = _previous_totals(term, students)
    on_card, weights = card._rules(term, "individual"), card._weights(term)
    scorers = card.trend_scorers(on_card, weights)  # one conversion cache for the whole class
    cards = {s: stored_cards.payload(mine, previous.get(s, card.NO_PREVIOUS), card.stored_trends(
        on_card, weights, stored_cards.totals(mine), card.weekly(graded.get(s, {})), scorers)) for s, mine in own.items()}
    return indicators, {k: _trend(v) for k, v in trends.items()}, own_entered, Cards(cards, ledger_id, marks_as_of)


def _previous_totals(term: Term, students) -> dict[int, list]:
    """card.previous_totals by the recompute's own reads: one grouped pass over last term's
    ledger and marks instead of every entry through the ORM and two whole cards per student (2.4 s
    against 5.3 s at 2,000 students with a full last term), totals as a card sums them (card.scorer)."""
    before = card.previous_term(term)
    if before is None:
        return {}
    rules, weights = card._rules(before, "individual"), card._weights(before)
    point_of = {r.point.code: r.point_id for r in rules}
    own: dict = defaultdict(dict)
    for student_id, _, point_id, week, n, total in _ledger_weeks(before, students, None if students is None else []):
        if student_id is None or not n:
            continue
        series = own[student_id].setdefault(point_id, [])
        if series and series[-1][0] == week:
            series[-1][1] += int(n)
            series[-1][2] += float(total)
        else:
            series.append([week, int(n), float(total)])
    marked: set = set()
    for student_id, code, week, n, total in _attendance_weeks(students, before.id):
        if (student_id, code) not in marked:
            marked.add((student_id, code))
            own[student_id][point_of[code]] = []
        own[student_id][point_of[code]].append([week, n, total])
    indicators = {s: {p: _series_indicator([(w, k, round(t, 6)) for w, k, t in series]) for p, series in mine.items()}
                  for s, mine in own.items()}
    for student_id, by_point in grades.student_values(before, rules, students).items():
        indicators.setdefault(student_id, {}).update(
            {p: (card.indicator(sum(v for _, v in values), len(values)), len(values)) for p, values in by_point.items()})
    everything, shown = card.scorer(rules, weights), card.scorer(card._visible(rules, False), weights)
    return {s: [everything(found)[1], shown(found)[1]] for s, found in indicators.items()}


@dataclass
class Cards:
    """The stored cards of a computation and the watermarks of what it read."""
    cards: dict[int, dict]
    ledger_id: int
    marks_as_of: datetime


def compute_classes(term: Term, class_ids: list[int] | None = None) -> dict[Key, dict]:
    """Every class row of the given classes (all classes when None), from the ledger and the marks."""
    return compute(term, class_ids)[0]


def compute(term: Term, class_ids: list[int] | None = None) -> tuple[dict[Key, dict], Cards]:
    """The class rows and the stored cards of the given classes' students (all when None)."""
    rules = catalogue.rules(term)
    weights = card._weights(term)
    individual = [r for r in rules if r.point.level == "individual"]
    collective = [r for r in rules if r.point.level == "class"]
    rosters = membership.spans(term, class_ids)
    indicators, trends, entered, cards = _inputs(term, rules, rosters, class_ids)
    partial = _partial(term, rules, rosters)
    rows: dict[Key, dict] = {}
    score, code_of = card.scorer(individual, weights), {r.point_id: r.point.code for r in individual}
    points = [(r.point_id, r.point.code, r) for r in individual]
    for class_id, students in sorted(rosters.items()):
        mine = {s: partial.get((class_id, s), indicators.get(s, {})) for s in students}
        scores = {s: score(mine[s]) for s in students}  # each student's (subtotals, total), as their card has them
        by_point = defaultdict(list)  # point → [(indicator, student)] in student order
        for s, found in mine.items():
            for point_id, (value, _) in found.items():
                by_point[point_id].append((value, s))
        for point_id, code, rule in points:
            if point_id in by_point:
                rows[("class", class_id, code)] = _class_row(by_point[point_id], rule, trends.get((class_id, point_id), {}))
        for metric in DOMAIN_METRICS:
            found = [(total if metric == "total" else subtotals[metric]["score"], s)
                     for s, (subtotals, total) in scores.items()]
            found = [(v, s) for v, s in found if v is not None]
            if found:
                rows[("class", class_id, metric)] = _class_row(found, None, {})
        own = card.class_indicators(collective, entered.get(class_id, {}),
                                    [{code_of[p]: v for p, (v, _) in mine[s].items() if p in code_of} for s in students])
        for rule in collective:
            if rule.point_id in own:
                rows[("class", class_id, rule.point.code)] = _class_row([(own[rule.point_id][0], None)], rule, {})
    return rows, cards


def merge(term: Term, class_rows: dict[Key, dict], department_of: dict[int, int]) -> dict[Key, dict]:
    """Department and school rows from class rows, merged in class order."""
    rule_of = {r.point.code: r for r in catalogue.rules(term)}
    groups: dict = defaultdict(list)
    for (_, class_id, metric), row in sorted(class_rows.items()):
        groups[("department", department_of[class_id], metric)].append(row)
        groups[("school", term.school_id, metric)].append(row)
    return {key: _merged_row(rows, rule_of.get(key[2])) for key, rows in groups.items()}


def _departments(class_ids=None) -> dict[int, int]:
    query = select(ClassGroup.id, ClassGroup.department_id)
    if class_ids is not None:
        query = query.where(ClassGroup.id.in_(class_ids))
    return dict(db.session.execute(query).all())


def _stored(term_id: int, units=None) -> dict[Key, Rollup]:
    query = select(Rollup).where(Rollup.term_id == term_id)
    if units is not None:
        query = query.where(tuple_(Rollup.unit, Rollup.unit_id).in_(units))
    return {(r.unit, r.unit_id, r.metric): r for r in db.session.scalars(query)}


def _as_row(r: Rollup) -> dict:
    return {k: getattr(r, k) for k in STATS}


def store(term_id: int, rows: dict[Key, dict], units=None) -> dict:
    """Make the stored rows of `units` (all units when None) equal `rows`; write only differences,
    found by comparing each row's stored text with the new row written out (bulk.py `as_stored`):
    a full pass over an unchanged term reads no JSON back."""
    query = select(Rollup.id, Rollup.unit, Rollup.unit_id, Rollup.metric, *bulk.as_text(Rollup, STATS)) \
        .where(Rollup.term_id == term_id)
    if units is not None:
        query = query.where(tuple_(Rollup.unit, Rollup.unit_id).in_(units))
    existing = {(unit, unit_id, metric): (row_id, tuple(stored))
                for row_id, unit, unit_id, metric, *stored in db.session.execute(query)}
    now = clock.now()
    stale = [row_id for k, (row_id, _) in existing.items() if k not in rows]
    new = [{"term_id": term_id, "unit": k[0], "unit_id": k[1], "metric": k[2], "updated_at": now, **row}
           for k, row in rows.items() if k not in existing]
    changed = [{"id": existing[key][0], "updated_at": now, **row} for key, row in rows.items()
               if key in existing and bulk.as_stored(Rollup, row, STATS) != existing[key][1]]
    if stale:
        db.session.execute(delete(Rollup).where(Rollup.id.in_(stale)))
    bulk.insert_rows(Rollup, new)
    bulk.update_rows(Rollup, changed)
    return {"inserted": len(new), "updated": len(changed), "deleted": len(stale)}


# The incremental path: one class, then its department, then the school, each from stored rows.

def refresh_class(term: Term, class_id: int) -> dict:
    _lock(term.id)
    rows, cards = compute(term, [class_id])
    changed = store(term.id, rows, [("class", class_id)])
    changed["cards"] = stored_cards.store(term.id, cards.cards, cards.ledger_id, cards.marks_as_of, everyone=False)
    # Always passed up, even when nothing changed: a retried job may follow a run that
    # committed its rows but died before it could pass them up.
    changes.touch("department", term.id, [db.session.get(ClassGroup, class_id).department_id])
    return changed


def _class_rows(term: Term, class_ids=None) -> dict[Key, dict]:
    units = None if class_ids is None else [("class", c) for c in class_ids]
    return {k: _as_row(r) for k, r in _stored(term.id, units).items() if k[0] == "class"}


def refresh_department(term: Term, department_id: int) -> dict:
    _lock(term.id)
    classes = db.session.scalars(select(ClassGroup.id).where(ClassGroup.department_id == department_id)).all()
    rows = merge(term, _class_rows(term, classes), {c: department_id for c in classes})
    changes.touch("school", term.id, [term.school_id])
    return store(term.id, {k: v for k, v in rows.items() if k[0] == "department"}, [("department", department_id)])


def refresh_school(term: Term) -> dict:
    _lock(term.id)
    rows = merge(term, _class_rows(term), _departments())
    return store(term.id, {k: v for k, v in rows.items() if k[0] == "school"}, [("school", term.school_id)])


# The full path.

@contextmanager
def _no_cycle_collection():
    """A term's computation builds a few hundred thousand small lists and dicts, none in a cycle:
    the collector would walk them all again and again as they pile up (a third of the run), and
    finds nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def full(term: Term) -> tuple[dict[Key, dict], Cards]:
    with _no_cycle_collection():
        class_rows, cards = compute(term)
        return {**class_rows, **merge(term, class_rows, _departments())}, cards


def rebuild(term: Term) -> dict:
    _lock(term.id)
    rows, cards = full(term)
    changed = store(term.id, rows)
    changed["cards"] = stored_cards.store(term.id, cards.cards, cards.ledger_id, cards.marks_as_of, everyone=True)
    return changed


def check(term: Term) -> list[str]:
    """Differences between the stored rows (and cards) and a full recompute; empty when they agree."""
    expected, cards = full(term)
    stored = {k: _as_row(r) for k, r in _stored(term.id).items()}
    problems = [f"missing {k}" for k in expected if k not in stored]
    problems += [f"unexpected {k}" for k in stored if k not in expected]
    for key in expected.keys() & stored.keys():
        fields = [f for f in STATS if expected[key][f] != stored[key][f]]
        if fields:
            problems.append(f"{key}: {', '.join(f'{f} stored {stored[key][f]!r} != {expected[key][f]!r}' for f in fields)}")
    return sorted(problems + stored_cards.check(term.id, cards.cards))
