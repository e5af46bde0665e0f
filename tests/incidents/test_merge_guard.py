"""Merging cancels the merged incident, so it is guarded: units first, owner only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.incidents.support import Staff, create_unit, dispatch, open_incident, staff


def merge(client: TestClient, desk: Staff, keep: int, merged: int) -> tuple[int, str]:
    response = client.post(
        f"/api/incidents/{keep}/links",
        json={"other_id": merged, "kind": "duplicate"},
        headers=desk.dispatcher,
    )
    return response.status_code, response.json().get("detail", "")


def test_an_incident_with_units_cannot_be_merged_away(client: TestClient, world: World) -> None:
    fire = staff(world, world.agency("FIRE"))
    keep, merged = open_incident(client, fire.call_taker), open_incident(client, fire.call_taker)
    unit = create_unit(client, fire.admin, "E11")
    dispatch(client, fire.dispatcher, merged["id"], unit)
    status, detail = merge(client, fire, keep["id"], merged["id"])
    assert status == 409
    assert "E11" in detail
    still = client.get(f"/api/incidents/{merged['id']}", headers=fire.dispatcher).json()
    assert still["status"] == "dispatched"


def test_a_helping_agency_cannot_merge_the_owners_incident(
    client: TestClient, world: World
) -> None:
    fire = staff(world, world.agency("FIRE"))
    ems = staff(world, world.agency("EMS", kind="ems"))
    owners = open_incident(client, fire.call_taker)
    helpers = open_incident(client, ems.call_taker)
    lent = create_unit(client, ems.admin, "A21", shared_with=[fire.agency.id])
    dispatch(client, fire.dispatcher, owners["id"], lent)  # now EMS sees it
    status, detail = merge(client, ems, helpers["id"], owners["id"])
    assert status == 403
    assert owners["number"] in detail
