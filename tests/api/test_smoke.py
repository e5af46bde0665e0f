from fastapi.testclient import TestClient

from signalfire.core.auth.permissions import Role
from tests.conftest import PASSWORD, World, bearer


def test_login_then_me(client: TestClient, world: World) -> None:
    agency = world.agency()
    world.user("a.virtanen", agency, [Role.DISPATCHER])
    response = client.post("/api/auth/login", json={"username": "a.virtanen", "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    me = client.get("/api/auth/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "a.virtanen"
