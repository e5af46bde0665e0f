"""The nature (incident type) catalogue and priority rules. Pure: no database.

The default catalogue follows the families and names of APCO/CSAA ANS 2.103.1
"Common Incident Types for Data Exchange" (fire, EMS, law enforcement, hazards,
transport, public service). Agencies add their own natures on top of it.
Priority runs from 1 (most urgent) to 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Discipline(StrEnum):
    FIRE = "fire"
    EMS = "ems"
    LAW = "law"
    MULTI = "multi"


@dataclass(frozen=True, slots=True)
class Nature:
    """One incident type."""

    code: str
    name: str
    discipline: Discipline
    priority: int


F, E, L, M = Discipline.FIRE, Discipline.EMS, Discipline.LAW, Discipline.MULTI

DEFAULT_CATALOGUE: tuple[Nature, ...] = (
    # Fire
    Nature("FIRE-STRUCTURE", "Structure fire", F, 1),
    Nature("FIRE-STRUCTURE-HIGHRISE", "High-rise structure fire", F, 1),
    Nature("FIRE-VEHICLE", "Vehicle fire", F, 2),
    Nature("FIRE-VEGETATION", "Vegetation / wildland fire", F, 2),
    Nature("FIRE-RUBBISH", "Rubbish or dumpster fire", F, 3),
    Nature("FIRE-ALARM", "Automatic fire alarm", F, 2),
    Nature("FIRE-SMOKE", "Smoke investigation", F, 3),
    Nature("FIRE-ODOR-GAS", "Gas odour / gas leak", F, 2),
    Nature("FIRE-CO-ALARM", "Carbon monoxide alarm", F, 2),
    Nature("FIRE-ELEVATOR", "Person trapped in elevator", F, 3),
    # Rescue and hazards
    Nature("RESCUE-WATER", "Water rescue", M, 1),
    Nature("RESCUE-TECHNICAL", "Technical rescue (collapse, confined space, height)", M, 1),
    Nature("HAZMAT", "Hazardous materials release", M, 1),
    Nature("EXPLOSION", "Explosion", M, 1),
    Nature("WIRES-DOWN", "Electrical wires down", F, 3),
    Nature("FLOODING", "Flooding / water problem", F, 4),
    # Transport
    Nature("TC-INJURY", "Traffic collision with injuries", M, 1),
    Nature("TC-ENTRAPMENT", "Traffic collision with entrapment", M, 1),
    Nature("TC-NO-INJURY", "Traffic collision, no injuries", L, 3),
    Nature("TRAIN-INCIDENT", "Rail incident", M, 1),
    Nature("AIRCRAFT-INCIDENT", "Aircraft incident", M, 1),
    # EMS
    Nature("MED-CARDIAC-ARREST", "Cardiac / respiratory arrest", E, 1),
    Nature("MED-CHEST-PAIN", "Chest pain", E, 2),
    Nature("MED-BREATHING", "Breathing problems", E, 2),
    Nature("MED-STROKE", "Stroke", E, 1),
    Nature("MED-UNCONSCIOUS", "Unconscious / fainting", E, 1),
    Nature("MED-FALL", "Fall", E, 3),
    Nature("MED-OVERDOSE", "Overdose / poisoning", E, 2),
    Nature("MED-SEIZURE", "Convulsions / seizure", E, 2),
    Nature("MED-BLEEDING", "Haemorrhage / laceration", E, 2),
    Nature("MED-CHILDBIRTH", "Pregnancy / childbirth", E, 2),
    Nature("MED-SICK", "Sick person", E, 4),
    Nature("MED-INJURY", "Injured person", E, 3),
    Nature("MED-PSYCH", "Psychiatric / behavioural", M, 3),
    # Law enforcement
    Nature("LAW-SHOOTING", "Shooting", M, 1),
    Nature("LAW-STABBING", "Stabbing", M, 1),
    Nature("LAW-ASSAULT", "Assault", L, 2),
    Nature("LAW-ROBBERY", "Robbery", L, 1),
    Nature("LAW-BURGLARY", "Burglary", L, 3),
    Nature("LAW-THEFT", "Theft", L, 4),
    Nature("LAW-DOMESTIC", "Domestic disturbance", L, 2),
    Nature("LAW-DISTURBANCE", "Disturbance / noise", L, 4),
    Nature("LAW-SUSPICIOUS", "Suspicious person, vehicle or activity", L, 3),
    Nature("LAW-MISSING-PERSON", "Missing person", L, 2),
    Nature("LAW-ALARM", "Intrusion or hold-up alarm", L, 3),
    Nature("LAW-TRAFFIC-HAZARD", "Traffic hazard", L, 3),
    # Public service
    Nature("PUBLIC-ASSIST", "Public assist / welfare check", M, 4),
    Nature("ANIMAL", "Animal problem", L, 5),
    Nature("UNKNOWN", "Unknown problem / third-party call", M, 2),
)

#: Priority changes for conditions reported with the call (negative = more urgent).
MODIFIERS: dict[str, int] = {
    "persons_trapped": -1,
    "weapons": -1,
    "multiple_patients": -1,
    "hazmat_involved": -1,
    "child_involved": -1,
    "in_progress": -1,
    "no_injuries": 1,
    "caller_safe": 1,
    "delayed_report": 1,
}


def compute_priority(base: int, modifiers: list[str]) -> int:
    """Nature priority adjusted by reported conditions, kept within 1 to 5.

    >>> compute_priority(3, ["persons_trapped", "weapons"])
    1
    >>> compute_priority(5, ["delayed_report"])
    5
    >>> compute_priority(2, [])
    2
    """
    unknown = sorted(set(modifiers) - set(MODIFIERS))
    if unknown:
        raise ValueError(f"unknown modifier(s) {unknown}; known: {sorted(MODIFIERS)}")
    return max(1, min(5, base + sum(MODIFIERS[m] for m in set(modifiers))))


def compatible(a: Nature, b: Nature) -> float:
    """How alike two natures are for duplicate detection: 1 same, 0.5 related, 0 not.

    >>> natures = {n.code: n for n in DEFAULT_CATALOGUE}
    >>> compatible(natures["FIRE-STRUCTURE"], natures["FIRE-SMOKE"])
    0.5
    >>> compatible(natures["FIRE-STRUCTURE"], natures["LAW-THEFT"])
    0.0
    """
    if a.code == b.code:
        return 1.0
    if a.code.split("-")[0] == b.code.split("-")[0] or Discipline.MULTI in (
        a.discipline,
        b.discipline,
    ):
        return 0.5
    return 0.5 if a.discipline == b.discipline else 0.0
