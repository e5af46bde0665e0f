"""How simulated crews behave: turnout, time on scene, transport, hand-over. Pure.

The figures are plausible round numbers for an urban service, not measurements: crews
of fire engines take longer to turn out than patrol cars, fires keep units on scene
longer than falls, and ambulances transport most urgent medical patients.
"""

from __future__ import annotations

import numpy as np

from signalfire.incidents.natures import Discipline, Nature
from signalfire.units.schemas import UnitType

_AMBULANCES = {UnitType.ALS_AMBULANCE, UnitType.BLS_AMBULANCE}
_POLICE = {UnitType.PATROL, UnitType.POLICE_SUPERVISOR, UnitType.K9}

#: Mean minutes on scene by discipline.
_SCENE_MINUTES = {
    Discipline.FIRE: 20.0,
    Discipline.EMS: 15.0,
    Discipline.LAW: 18.0,
    Discipline.MULTI: 25.0,
}


def turnout_s(unit_type: str, rng: np.random.Generator) -> float:
    """Seconds from dispatch to rolling: about 80 s for fire, 60 s for ambulances and
    20 s for police (already on the street), each within ±30 %.

    >>> rng = np.random.default_rng(1)
    >>> 56 <= turnout_s("engine", rng) <= 104
    True
    """
    if unit_type in _POLICE:
        mean = 20.0
    elif unit_type in _AMBULANCES:
        mean = 60.0
    else:
        mean = 80.0
    return mean * float(rng.uniform(0.7, 1.3))


def scene_s(nature: Nature, rng: np.random.Generator) -> float:
    """Seconds spent on scene: the discipline's mean, within ±40 %, shorter for the
    least urgent calls.

    >>> from signalfire.incidents.natures import DEFAULT_CATALOGUE as C
    >>> fall = next(n for n in C if n.code == "MED-FALL")
    >>> 0.6 * 15 * 60 <= scene_s(fall, np.random.default_rng(2)) <= 1.4 * 15 * 60
    True
    """
    minutes = _SCENE_MINUTES[nature.discipline] * (0.7 if nature.priority >= 4 else 1.0)
    return minutes * 60 * float(rng.uniform(0.6, 1.4))


def transports(nature: Nature, unit_type: str, rng: np.random.Generator) -> bool:
    """Whether an ambulance takes a patient to hospital: 80 % of urgent medical or
    injury calls, 50 % of others with patients; other units never transport.

    >>> from signalfire.incidents.natures import DEFAULT_CATALOGUE as C
    >>> theft = next(n for n in C if n.code == "LAW-THEFT")
    >>> transports(theft, "als_ambulance", np.random.default_rng(0))
    False
    """
    if unit_type not in _AMBULANCES:
        return False
    patients = nature.discipline == Discipline.EMS or nature.code.startswith(
        ("TC-INJ", "TC-ENT", "LAW-SHOOT", "LAW-STAB", "FIRE-STRUCTURE")
    )
    if not patients:
        return False
    return bool(rng.random() < (0.8 if nature.priority <= 2 else 0.5))


def handover_s(rng: np.random.Generator) -> float:
    """Seconds at hospital handing the patient over: 10 to 20 minutes.

    >>> 600 <= handover_s(np.random.default_rng(3)) <= 1200
    True
    """
    return float(rng.uniform(600, 1200))


def call_to_dispatch_s(rng: np.random.Generator) -> float:
    """Seconds the simulated dispatcher takes from incident entry to dispatch.

    >>> 20 <= call_to_dispatch_s(np.random.default_rng(4)) <= 50
    True
    """
    return float(rng.uniform(20, 50))
