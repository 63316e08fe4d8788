"""The scoring-point catalogue: seeding, per-term versions, edits by a school admin."""
from functools import cache
from types import SimpleNamespace

import yaml
from sqlalchemy import select

from backend.config import ROOT
from backend.errors import Problem
from backend.extensions import db
from backend.models import CatalogueVersion, ScoringPoint, ScoringRule, Term
from backend.platform import cached, clock
from backend.valuecard.conversion import value_range

SEED_FILE = ROOT / "seed" / "catalogue.yaml"
# Fields a school admin may change per term; names and identity stay fixed.
EDITABLE = ("value_type", "unit", "timing", "scorer_roles", "conversion", "weight", "direction", "standard_value",
            "warning_value", "levels", "min_value", "max_value", "rationale")


@cache
def load_seed() -> dict:
    return yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))


def _rule_from_seed(item: dict) -> dict:
    lo, hi = value_range(item["value_type"], item.get("min"), item.get("max"), item.get("levels"))
    return dict(
        timing=item["timing"], scorer_roles=list(item["scorers"]), value_type=item["value_type"],
        min_value=lo, max_value=hi, levels=item.get("levels"), source=item["source"],
        aggregate=item.get("aggregate"), conversion=item["conversion"], weight=item["weight"],
        direction=item["direction"], standard_value=item["standard"], warning_value=item["warning"],
        sensitive=item.get("sensitive"), rationale=item["rationale"],
    )


def seed_points() -> int:
    """Create or rename the scoring points of the seed file. Idempotent."""
    existing = {p.code: p for p in db.session.scalars(select(ScoringPoint))}
    created = 0
    for item in load_seed()["points"]:
        fields = dict(level=item["level"], domain=item["domain"], number=item["number"],
                      name_zh=item["zh"], name_en=item["en"])
        point = existing.get(item["code"])
        if point is None:
            db.session.add(ScoringPoint(code=item["code"], **fields))
            created += 1
        else:
            for k, v in fields.items():
                setattr(point, k, v)
    db.session.flush()
    return created


def ensure_version(term: Term) -> CatalogueVersion:
    """The term's catalogue; a new term inherits the latest earlier term's rules, else the seed's."""
    version = db.session.scalar(select(CatalogueVersion).where(CatalogueVersion.term_id == term.id))
    if version is not None:
        return version
    previous = db.session.scalar(
        select(CatalogueVersion).join(Term, Term.id == CatalogueVersion.term_id)
        .where(Term.starts_on < term.starts_on).order_by(Term.starts_on.desc()).limit(1))
    points = {p.code: p for p in db.session.scalars(select(ScoringPoint))}
    if previous is not None:
        weights = dict(previous.domain_weights)
        rules = [(r.point_id, {c.key: getattr(r, c.key) for c in ScoringRule.__table__.columns
                               if c.key not in ("id", "version_id", "point_id", "updated_by", "updated_at")})
                 for r in previous.rules]
        rules = _with_seed_fixes(rules, points)
    else:
        seed = load_seed()
        weights = {d: v["weight"] for d, v in seed["domains"].items()}
        rules = [(points[i["code"]].id, _rule_from_seed(i)) for i in seed["points"]]
    version = CatalogueVersion(term_id=term.id, domain_weights=weights)
    db.session.add(version)
    db.session.flush()
    db.session.add_all(ScoringRule(version_id=version.id, point_id=pid, **fields) for pid, fields in rules)
    db.session.flush()
    return version


# Seed corrections of issue 16 (seed 002 table 15): the fields a new term takes from the seed once,
# when it follows a term whose catalogue predates them (it has no per-meeting C-P-08). Earlier terms
# keep their rules; a college's later edits are inherited as usual after that first new term.
SEED_FIXES = {"C-A-03": ("timing", "rationale"), "S-C-01": ("scorer_roles", "rationale"),
              "C-P-01": ("scorer_roles", "source", "aggregate", "rationale"),
              "C-P-02": ("scorer_roles", "source", "aggregate", "rationale")}
FIXED_BY = "C-P-08"


def _with_seed_fixes(rules: list[tuple[int, dict]], points: dict) -> list[tuple[int, dict]]:
    if FIXED_BY not in points or any(pid == points[FIXED_BY].id for pid, _ in rules):
        return rules
    code_of = {p.id: code for code, p in points.items()}
    seeded = {i["code"]: _rule_from_seed(i) for i in load_seed()["points"]}
    out = [(pid, {**fields, **{k: seeded[code_of[pid]][k] for k in SEED_FIXES.get(code_of[pid], ())}})
           for pid, fields in rules]
    held = {pid for pid, _ in rules}
    # The seed's points the earlier catalogue did not have (C-P-08/09): as the seed defines them.
    return out + [(points[code].id, fields) for code, fields in seeded.items() if points[code].id not in held]


def seed() -> dict:
    """`flask seed`: points plus a catalogue for every started term that has none. A term yet to
    start gets its catalogue at first use, so it inherits the edits made until then."""
    created = seed_points()
    versions = 0
    for term in db.session.scalars(select(Term).where(Term.starts_on <= clock.school_today())).all():
        if db.session.scalar(select(CatalogueVersion.id).where(CatalogueVersion.term_id == term.id)) is None:
            ensure_version(term)
            versions += 1
    db.session.commit()
    return {"points_created": created, "term_catalogues_created": versions}


def rules(term: Term) -> list[ScoringRule]:
    return db.session.scalars(
        select(ScoringRule).where(ScoringRule.version_id == ensure_version(term).id).order_by(ScoringRule.point_id)
    ).all()


def read_only_rules(term: Term) -> list[SimpleNamespace]:
    """The term's rules as shared read-only views (a rule's columns, its point's as `.point`), cached
    per process like `rule`: for the card read, which only reads them. Nothing is copied or attached
    per request (building 60 ORM instances cost a card read more than its one SQL statement)."""
    def lookup():
        return [SimpleNamespace(**cached.columns(r), point=SimpleNamespace(**cached.columns(r.point)))
                for r in rules(term)]
    return cached.lookup([cached.CATALOGUE], ("views", term.id), lookup)


def domain_weights(term: Term) -> dict:
    """The weights of the three domains in the term's total."""
    return cached.fresh(cached.lookup([cached.CATALOGUE], ("weights", term.id), lambda: db.session.scalar(
        select(CatalogueVersion.domain_weights).where(CatalogueVersion.term_id == term.id))))


def _attached(data: dict) -> ScoringRule:
    return cached.attach(ScoringRule(**data["rule"], point=ScoringPoint(**data["point"])))


def rule(term: Term, code: str) -> ScoringRule:
    """A point's rule in a term, with its point: cached per process until the catalogue changes
    (platform/cached.py), an ordinary object of the request's session."""
    def lookup():
        found = db.session.scalar(
            select(ScoringRule).join(ScoringPoint).join(CatalogueVersion)
            .where(CatalogueVersion.term_id == term.id, ScoringPoint.code == code))
        return None if found is None else {"rule": cached.columns(found), "point": cached.columns(found.point)}
    data = cached.lookup([cached.CATALOGUE], ("rule", term.id, code), lookup)
    if data is None and ensure_version(term) is not None:  # a term's first use creates its catalogue
        data = lookup()
    if data is None:
        raise Problem(404, "未找到 / Not found", f"No scoring point {code}.")
    return _attached(cached.fresh(data))
