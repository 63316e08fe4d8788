"""Hostile input is a 4xx problem naming the field, never a 500, and writes nothing (issue 18): ids
beyond the database's INTEGER in a path, a query and a body; NUL and other control characters in
text, at login too; lone surrogates; 50,000-deep JSON; a catalogue conversion without its kind; a
warning rule whose signals are not a list. The fuzzer (test_fuzz.py) looks for the rest."""
import json

import pytest
from sqlalchemy import select

from backend.errors import MAX_JSON_DEPTH, json_depth
from backend.extensions import db
from backend.models import SpecialGroupRecord, User, WarningRule
from tests.helpers import assert_problem, build_college, login, writing

BEYOND = 2**31  # one past the largest INTEGER both databases store
V1 = "/api/v1"


@pytest.fixture
def college(app):
    return build_college(students=30)


def fields_of(response, status: int = 422) -> set:
    return set(assert_problem(response, status).get("errors") or {})


def test_ids_beyond_the_database_range_are_404_in_a_path_and_422_naming_the_field_elsewhere(app, client, college):
    counsellor = login(client, college["counsellor"])
    for path in (f"{V1}/warnings/{BEYOND}", f"{V1}/warnings/99999999999", f"{V1}/reports/class/{BEYOND}",
                 f"{V1}/classes/{BEYOND}/students", f"{V1}/warnings/{BEYOND}/acknowledge"):
        method = client.post if path.endswith("acknowledge") else client.get
        assert_problem(method(path, headers=writing(counsellor)), 404)
    assert_problem(client.get(f"{V1}/warnings/{BEYOND - 1}", headers=counsellor), 404)  # the largest id: no row
    assert fields_of(client.get(f"{V1}/warnings?class_id={BEYOND}", headers=counsellor)) == {"class_id"}
    assert fields_of(client.get(f"{V1}/reports/class/1?term_id={-BEYOND - 1}", headers=counsellor)) == {"term_id"}
    me = db.session.scalar(select(User.id).where(User.username == college["counsellor"]["username"]))
    body = {"student_id": BEYOND, "group": "hardship", "reason": "家庭变故", "responsible_id": me}
    assert fields_of(client.post(f"{V1}/special-groups", headers=writing(counsellor), json=body)) == {"student_id"}
    assert db.session.scalar(select(SpecialGroupRecord.id)) is None


def test_control_characters_and_lone_surrogates_are_422_naming_the_field_and_write_nothing(app, client, college):
    student = login(client, college["head_teacher"])  # staff edit their own display name
    before = client.get(f"{V1}/me", headers=student).json["display_name"]
    for bad in ("张\x00三", "张\x0b三", "\x1b[31m张三", "张三\x7f", "张\x85三"):
        assert fields_of(client.patch(f"{V1}/me", headers=writing(student), json={"display_name": bad})) \
            == {"display_name"}, repr(bad)
    # A lone surrogate can only arrive as a JSON escape (it is not UTF-8).
    raw = '{"display_name": "\\ud800\u5f20"}'
    response = client.patch(f"{V1}/me", headers={**writing(student), "Content-Type": "application/json"}, data=raw)
    assert fields_of(response) == {"display_name"}
    assert client.get(f"{V1}/me", headers=student).json["display_name"] == before
    # Unauthenticated, at login: a 422 naming the field, and no failed login counted against anyone.
    assert fields_of(client.post(f"{V1}/auth/login", json={"username": "2024\x000101", "password": "x"})) == {"username"}
    assert fields_of(client.post(f"{V1}/auth/login", json={"username": college["student"]["username"],
                                                           "password": "pass\x00word"})) == {"password"}
    raw = json.dumps({"username": college["student"]["username"], "password": "x"})[:-2] + '\\udfff"}'
    response = client.post(f"{V1}/auth/login", data=raw, headers={"Content-Type": "application/json"})
    assert fields_of(response) == {"password"}
    # Query strings too; tab, newline and CR are text (free-text notes keep their lines).
    assert fields_of(client.get(f"{V1}/audit?action=a%00b", headers=login(client, college["school_admin"]))) \
        == {"action"}
    ok = client.patch(f"{V1}/me", headers=writing(student), json={"display_name": "张三\t李四"})
    assert ok.status_code == 200, ok.json


def test_json_nested_past_the_limit_is_a_400_before_anything_parses_it(app, client, college):
    deep = "[" * 50_000 + "]" * 50_000
    for path in (f"{V1}/auth/login", f"{V1}/me"):
        method = client.post if path.endswith("login") else client.patch
        response = method(path, data=deep, headers={**writing(login(client, college["student"])),
                                                      "Content-Type": "application/json"})
        assert "nests deeper" in assert_problem(response, 400)["detail"]
    just_over = json.dumps({"display_name": "x", "extra": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)})
    student = login(client, college["head_teacher"])
    response = client.patch(f"{V1}/me", data=just_over, headers={**writing(student), "Content-Type": "application/json"})
    assert_problem(response, 400)
    # Brackets inside strings are text, not nesting: this body reaches the schema, which takes it.
    text = "[{" * 100
    ok = client.patch(f"{V1}/me", headers=writing(student), json={"display_name": text[:120]})
    assert ok.status_code == 200, ok.json
    assert json_depth(json.dumps({"a": "[" * 500}).encode()) == 1
    assert json_depth(b"[" * 70 + b"]" * 70) == 70


def test_a_catalogue_conversion_without_its_kind_is_a_422_naming_conversion(app, client, college):
    admin = login(client, college["school_admin"])
    before = client.get(f"{V1}/catalogue/S-A-03", headers=admin).json["conversion"]
    for conversion in ({"from": [0, 100]}, {"kind": "cubic"}, {"kind": "linear", "from": "x"},
                       {"kind": "linear", "from": [100, 0]}, {"kind": "steps", "steps": "x"},
                       {"kind": "steps", "steps": [[0, 100], [0, 50]]}, {"kind": "linear", "from": [0, 100], "x": 1},
                       {"kind": ["linear"]}):
        response = client.patch(f"{V1}/catalogue/S-A-03", headers=writing(admin), json={"conversion": conversion})
        assert fields_of(response) == {"conversion"}, conversion
    assert fields_of(client.patch(f"{V1}/catalogue/S-A-03", headers=writing(admin),
                                  json={"conversion": {"kind": "linear", "from": [0, "\x00"]}})) == {"conversion"}
    assert client.get(f"{V1}/catalogue/S-A-03", headers=admin).json["conversion"] == before


def test_a_warning_rule_whose_signals_are_not_a_list_is_a_422_naming_params(app, client, college):
    admin = login(client, college["school_admin"])
    before = db.session.scalar(select(WarningRule.params).where(WarningRule.code == "RISK-MENTAL"))
    db.session.rollback()
    for params in ({"signals": "x"}, {"signals": ["x"]}, {"signals": [{"point": 1, "op": "lt", "value": 1}]},
                   {"signals": [{"point": "S-A-03", "op": "lt", "value": True}]}, {"signals": []},
                   {"signals": [{"group": "hardship"}], "gate": "x"}, {"signals": [{"group": "hardship"}], "x": 1},
                   {"signals": [{"group": "hard\x00ship"}]}):
        response = client.patch(f"{V1}/warning-rules/RISK-MENTAL", headers=writing(admin), json={"params": params})
        assert fields_of(response) == {"params"}, params
    for params in ({"domain": 5}, {"domain": "academic", "signals": []}, {}):
        response = client.patch(f"{V1}/warning-rules/TH-ACADEMIC", headers=writing(admin), json={"params": params})
        assert fields_of(response) == {"params"}, params
    assert db.session.scalar(select(WarningRule.params).where(WarningRule.code == "RISK-MENTAL")) == before


def test_the_openapi_declares_every_operations_security_and_problem_json(client):
    spec = client.get("/api/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    public = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert "security" in operation, (method, path)
            if operation["security"] == []:
                public.add((method, path))
            else:
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
            default = operation["responses"]["default"]["$ref"].rsplit("/", 1)[1]
            assert list(spec["components"]["responses"][default]["content"]) == ["application/problem+json"]
    # Campus sign-in (CAS) starts before anyone has a token: its settings, the redirect and the way back.
    cas = {("get", f"{V1}/auth/cas"), ("get", f"{V1}/auth/cas/login"), ("get", f"{V1}/auth/cas/callback"),
           ("post", f"{V1}/auth/cas/callback")}
    assert public == {("post", f"{V1}/auth/login"), ("post", f"{V1}/auth/refresh"), ("get", f"{V1}/push/key")} | cas
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"title", "status"} and problem["additionalProperties"] is True
    unprocessable = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert unprocessable["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
