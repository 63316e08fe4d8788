from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import ScoringPoint, ScoringRule, Term
from backend.valuecard import card, catalogue
from backend.valuecard.conversion import check_rule, is_past_warning, to_points
from tests.helpers import assert_problem, build_college, login


@pytest.fixture
def admin(app, client):
    accounts = build_college(students=100)
    return login(client, accounts["school_admin"])


def test_seed_has_every_point_of_the_value_card(client, admin):
    rules = client.get("/api/v1/catalogue", headers=admin).json["rules"]
    counts = Counter((r["level"], r["domain"]) for r in rules)
    assert counts == {("individual", "academic"): 11, ("individual", "personal"): 15, ("individual", "career"): 15,
                      ("class", "academic"): 5, ("class", "personal"): 9, ("class", "career"): 7}
    for r in rules:
        # Computed points have no scorer (002 names only the data platform for C-P-01/02).
        assert r["name_zh"] and r["name_en"] and r["rationale"] and (r["scorer_roles"] or r["source"] != "entered"), r["code"]
    by_code = {r["code"]: r for r in rules}
    assert by_code["S-A-03"]["name_zh"] == "全勤率（未旷课）" and by_code["S-A-03"]["source"] == "attendance"
    assert by_code["S-P-13"]["direction"] == "lower_better" and by_code["S-P-13"]["sensitive"] == "discipline"
    assert by_code["C-A-05"]["aggregate"] == {"fn": "share", "of": "S-A-09", "op": "lt", "value": 60}


def test_seed_rules_are_consistent(app, admin):
    term = db.session.scalars(select(Term)).first()
    weights = defaultdict(float)
    for rule in catalogue.rules(term):
        assert check_rule(rule) == [], rule.point.code
        weights[(rule.point.level, rule.point.domain)] += rule.weight
        if rule.warning_value is not None:
            assert is_past_warning(rule, rule.warning_value + (-1 if rule.direction == "higher_better" else 1))
            assert not is_past_warning(rule, rule.standard_value)
    assert all(abs(w - 1) < 1e-9 for w in weights.values())
    codes = {p.code for p in db.session.scalars(select(ScoringPoint))}
    for rule in catalogue.rules(term):
        if rule.aggregate:
            # Over the students' indicators, or over the class's own meetings (C-P-01 of C-P-08).
            assert rule.aggregate["of"] in codes
            assert rule.aggregate["of"].startswith("S-") or rule.aggregate["fn"] in card.OVER_MEETINGS


def test_conversion_examples(app, admin):
    term = db.session.scalars(select(Term)).first()
    rules = {r.point.code: r for r in catalogue.rules(term)}
    assert to_points(rules["S-A-03"], 100) == 100 and to_points(rules["S-A-03"], 70) == 0
    assert to_points(rules["S-A-03"], 85) == 50
    assert to_points(rules["S-P-13"], 0) == 100 and to_points(rules["S-P-13"], 2) == 30
    assert to_points(rules["S-P-13"], 9) == 0
    assert to_points(rules["C-A-05"], 0) == 100 and to_points(rules["C-A-05"], 30) == 0
    assert to_points(rules["S-C-10"], 2) == 85
    assert to_points(rules["S-A-01"], 1) == 100 and to_points(rules["S-A-01"], 0) == 0


def test_seed_command_is_idempotent(app, runner, admin):
    rules_before = db.session.scalar(select(func.count()).select_from(ScoringRule))
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])
    assert first.exit_code == 0 and second.exit_code == 0
    assert '"points_created": 0' in second.output and '"term_catalogues_created": 0' in second.output
    assert db.session.scalar(select(func.count()).select_from(ScoringPoint)) == 62
    assert db.session.scalar(select(func.count()).select_from(ScoringRule)) == rules_before


def test_edit_changes_one_term_and_new_terms_inherit_it(client, admin):
    terms = client.get("/api/v1/terms", headers=admin).json
    previous, current = terms[0], terms[1]
    changed = client.patch(f"/api/v1/catalogue/S-A-06?term_id={current['id']}", headers=admin,
                           json={"standard_value": 95, "rationale": "本校作业要求更高"})
    assert changed.status_code == 200 and changed.json["standard_value"] == 95
    old = client.get(f"/api/v1/catalogue/S-A-06?term_id={previous['id']}", headers=admin).json
    assert old["standard_value"] == 90
    created = client.post("/api/v1/terms", headers=admin, json={
        "academic_year": "2027-2028", "semester": 1, "starts_on": "2027-09-01", "ends_on": "2028-01-14"})
    assert created.status_code == 201 and created.json["weeks"] == 20
    inherited = client.get(f"/api/v1/catalogue/S-A-06?term_id={created.json['id']}", headers=admin).json
    assert inherited["standard_value"] == 95 and inherited["rationale"] == "本校作业要求更高"


def test_inconsistent_edit_is_refused_and_changes_nothing(client, admin):
    before = client.get("/api/v1/catalogue/S-A-06", headers=admin).json
    body = assert_problem(client.patch("/api/v1/catalogue/S-A-06", headers=admin, json={"warning_value": 95}), 422)
    assert "warning_value" in body["errors"]
    assert client.get("/api/v1/catalogue/S-A-06", headers=admin).json == before
    assert_problem(client.patch("/api/v1/catalogue/S-A-06", headers=admin, json={"weight": 3}), 422)
    assert_problem(client.patch("/api/v1/catalogue/NOPE", headers=admin, json={"weight": 0.1}), 404)


def test_overlapping_term_is_refused(client, admin):
    body = assert_problem(client.post("/api/v1/terms", headers=admin, json={
        "academic_year": "2026-2027", "semester": 1, "starts_on": "2026-10-01", "ends_on": "2027-01-10"}), 422)
    assert "starts_on" in body["errors"]
    body = assert_problem(client.post("/api/v1/terms", headers=admin, json={
        "academic_year": "2030-2032", "semester": 1, "starts_on": "2031-01-01", "ends_on": "2030-01-10"}), 422)
    assert set(body["errors"]) == {"academic_year", "ends_on"}
    body = assert_problem(client.post("/api/v1/terms", headers=admin, json={
        "academic_year": "2030-2031", "semester": 3, "starts_on": "2030-09-01", "ends_on": "2031-01-10"}), 422)
    assert set(body["errors"]) == {"semester"}
