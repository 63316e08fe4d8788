"""What the roster tests share: a school admin of the demo college."""
import pytest

from tests.helpers import build_college, login


@pytest.fixture
def admin(app, client):
    accounts = build_college(students=50)
    return login(client, accounts["school_admin"])
