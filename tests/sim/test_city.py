"""The demo city: real stations from the map where it has them, configured points for
the rest, and agencies with their units, run cards and people."""

from __future__ import annotations

from signalfire import demo
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from signalfire.dispatch import plans
from signalfire.geo.roads import helsinki_extract
from signalfire.sim import city
from signalfire.units import service as units


def test_the_bundled_extract_gives_erottaja_and_configured_points_fill_the_rest() -> None:
    mapped = city.sites_from_map(helsinki_extract())
    assert [(s.kind, s.name, s.from_map) for s in mapped] == [
        ("fire_station", "Erottajan paloasema", True)
    ]
    assert abs(mapped[0].lat - 60.1651) < 0.001
    chosen = city.choose_sites(mapped)
    kinds = {s.kind for s in chosen}
    assert kinds == {"fire_station", "ambulance_station", "police", "hospital"}
    assert [s.name for s in chosen if s.kind == "fire_station"] == ["Erottajan paloasema"]


def test_the_built_city_has_units_run_cards_and_people(runtime: Runtime) -> None:
    logins = demo.prepare(runtime)
    assert "dispatcher" in logins.usernames
    with runtime.sessions() as db:
        actors = city.sim_actors(db)
        assert set(actors) == {"FIRE", "EMS", "POLICE"}
        total = 0
        for code, sim in actors.items():
            member = Actor(None, "test", sim.agency_id, frozenset(Role), "cli")
            own = [u for u in units.list_units(db=db, actor=member) if u.agency_id == sim.agency_id]
            total += len(own)
            others = {a.agency_id for c, a in actors.items() if c != code}
            assert all(set(u.shared_with) == others for u in own)  # mutual aid
            assert all(u.home_station_id is not None for u in own)
            cards = plans.list_plans(db=db, actor=member)
            assert any(p.nature_code == "*" for p in cards)
        assert total == 17
