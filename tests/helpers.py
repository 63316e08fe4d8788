"""Factories and helpers shared by the tests."""
from datetime import date

from backend.extensions import db
from backend.services import demo

TODAY = date(2026, 11, 23)


def build_college(students: int = 200, seed: int = 7) -> dict[str, dict]:
    """The demo college; returns its accounts by role."""
    accounts = demo.build(students, seed, TODAY)
    db.session.commit()
    return {a["role"]: a for a in accounts}


def login(client, account: dict) -> dict:
    response = client.post("/api/v1/auth/login", json={"username": account["username"], "password": account["password"]})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def csrf_cookie(client) -> str:
    return client.get_cookie("csrf_refresh_token").value


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status and body["title"]
    return body
