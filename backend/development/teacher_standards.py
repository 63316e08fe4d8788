"""A teacher's stage standards: per stage and indicator, target / standard / warning values,
versioned per academic year (seed 003 §五(四)4; docs/DESIGN.md decision 4, as the catalogue per term).

A year without standards of its own reads the latest earlier year's (or the seed's), so reading
never writes; the first edit of a year copies the year it read from, and editing a year never
changes another year's. Defaults: seed/teacher_standards.yaml, each with its source and rationale.
"""
from functools import cache
from types import SimpleNamespace

import yaml
from sqlalchemy import func, select

from backend.config import ROOT
from backend.development.teacher_indicators import INDICATORS
from backend.errors import Problem
from backend.extensions import db
from backend.models import Plan, TeacherStandard, Term
from backend.platform import audit, clock

SEED_FILE = ROOT / "seed" / "teacher_standards.yaml"
INVALID = "教师标准无效 / Invalid teacher standard"
VALUES = ("target", "standard", "warning")
EDITABLE = (*VALUES, "rationale")


@cache
def load_seed() -> list[dict]:
    return yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))["standards"]


def _seeded(year: int) -> list[dict]:
    return [dict(year=year, stage=stage, dimension=INDICATORS[item["indicator"]].dimension,
                 indicator_code=item["indicator"], title=item["title"], target=values[0], standard=values[1],
                 warning=values[2], source=item["source"], rationale=item["rationale"])
            for item in load_seed() for stage, values in item["stages"].items()]


def version_year(year: int) -> int | None:
    """The year whose standards are in force in `year`: itself, else the latest earlier one."""
    return db.session.scalar(select(func.max(TeacherStandard.year)).where(TeacherStandard.year <= year))


def standards(year: int) -> tuple[list, int | None]:
    """The standards in force in `year` (rows, or the seed's as plain objects before any year has
    standards) and the year they were set for (None: the seed's defaults)."""
    source = version_year(year)
    if source is None:
        return [SimpleNamespace(id=None, updated_by=None, updated_at=None, **row) for row in _seeded(year)], None
    rows = db.session.scalars(select(TeacherStandard).where(TeacherStandard.year == source)
                              .order_by(TeacherStandard.stage, TeacherStandard.indicator_code)).all()
    return rows, source


def for_stage(stage: str, year: int) -> dict[str, TeacherStandard]:
    """Indicator code → the standard in force for a teacher at `stage` in the academic year `year`."""
    rows, _ = standards(year)
    return {s.indicator_code: s for s in rows if s.stage == stage}


def ensure_year(year: int) -> int:
    """Give `year` standards of its own, copied from the ones in force (or the seed). Returns how many were made."""
    if db.session.scalar(select(TeacherStandard.id).where(TeacherStandard.year == year).limit(1)) is not None:
        return 0
    rows, _ = standards(year)
    keep = ("stage", "dimension", "indicator_code", "title", *VALUES, "source", "rationale")
    db.session.add_all(TeacherStandard(year=year, **{k: getattr(r, k) for k in keep}) for r in rows)
    db.session.flush()
    return len(rows)


def current_year() -> int:
    """The academic year of the term in session (or last started), else of the calendar."""
    today = clock.school_today()
    started = db.session.scalar(select(Term.academic_year).where(Term.starts_on <= today)
                                .order_by(Term.starts_on.desc()).limit(1))
    return int(started[:4]) if started else (today.year if today.month >= 8 else today.year - 1)


def seed(year: int | None = None) -> int:
    """`flask seed` and the demo: the academic year gets its standards unless it has some (an edit
    is never overwritten)."""
    made = ensure_year(current_year() if year is None else year)
    db.session.commit()
    return made


def check(code: str, values: dict) -> dict[str, list[str]]:
    """The three values in order for the indicator's direction and inside its range; errors by field."""
    indicator = INDICATORS[code]
    errors: dict[str, list[str]] = {}
    low, high = (0, 100) if indicator.unit == "%" else (0, None)
    for key in VALUES:
        v = values[key]
        if v < low or (high is not None and v > high):
            errors[key] = [f"应在 {low}–{high} 之间 / Must lie between {low} and {high}." if high is not None
                           else "不能为负数 / Must not be negative."]
    if errors:
        return errors
    s = 1 if indicator.direction == "higher_better" else -1
    better, worse = ("高于", "higher") if s > 0 else ("低于", "lower")
    if s * values["target"] < s * values["standard"]:
        msg = f"目标值不能比标准值差（本指标越{'高' if s > 0 else '低'}越好） / The target must not be worse than the standard."
        errors["target"] = errors["standard"] = [msg]
    if s * values["standard"] < s * values["warning"]:
        msg = (f"标准值应{better}预警值 {values['warning']:g} / The standard must be {worse} than the warning value "
               f"{values['warning']:g} ({'higher' if s > 0 else 'lower'} is better for this indicator).")
        errors["standard"] = errors["warning"] = [msg]
    return errors


def put(year: int, body: dict, actor_id: int) -> TeacherStandard:
    """Set one stage's standard for an indicator in `year` (school admin): the year gets its own
    copy first; checked, audited, committed."""
    code = body["indicator_code"]
    if code not in INDICATORS:
        raise Problem(422, INVALID, errors={"indicator_code": [f"没有指标 {code} / No teacher indicator {code}."]})
    ensure_year(year)
    row = db.session.scalar(select(TeacherStandard).where(
        TeacherStandard.year == year, TeacherStandard.stage == body["stage"], TeacherStandard.indicator_code == code))
    if row is None:
        row = TeacherStandard(year=year, stage=body["stage"], dimension=INDICATORS[code].dimension, indicator_code=code,
                              title=INDICATORS[code].label, source="学校设定 / Set by the school", rationale="")
        db.session.add(row)
    changes = {k: body[k] for k in EDITABLE if k in body}
    merged = {k: changes.get(k, getattr(row, k)) for k in VALUES}
    if None in merged.values():
        raise Problem(422, INVALID, errors={k: ["必填 / Required."] for k, v in merged.items() if v is None})
    errors = check(code, merged)
    if errors:
        raise Problem(422, INVALID, errors=errors)
    before = {k: getattr(row, k) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_by, row.updated_at = actor_id, clock.now()
    db.session.flush()
    audit.record(actor_id, "teacher_standard.update", "teacher_standard", f"{year}:{row.stage}:{code}",
                 {"before": before, "after": changes})
    db.session.commit()
    return row


def stages_of(teacher_ids, year: int) -> dict[int, str]:
    """Each teacher's stage in the academic year `year`: the stage of their three-year plan
    (teacher_cycle) covering it, the latest such plan if two overlap; no plan, no entry (one query)."""
    rows = db.session.execute(select(Plan.owner_id, Plan.stage).where(
        Plan.owner_id.in_(list(teacher_ids)), Plan.kind == "teacher_cycle", Plan.stage.is_not(None),
        Plan.start_year <= year, Plan.start_year >= year - 2).order_by(Plan.start_year, Plan.id)).all()
    return dict(rows)  # later plans overwrite earlier ones


def stage_of(teacher_id: int, year: int) -> str | None:
    """One teacher's stage in `year` (stages_of), None without a three-year plan covering it."""
    return stages_of([teacher_id], year).get(teacher_id)
