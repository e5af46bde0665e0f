"""Load mode: post simulated calls to a running Signalfire server through its HTTP API.

Only the public API is used (``/healthz``, ``/api/auth/login``, ``/api/incidents``), so the
same run works against a local demo or a remote install. Calls arrive as a Poisson process
at a fixed rate; natures and addresses come from :mod:`signalfire.sim.arrivals`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx2 as httpx
import numpy as np
import numpy.typing as npt

from signalfire.geo.geocode import AddressRecord
from signalfire.sim.arrivals import CallModel, SimCall, draw_call

Json = dict[str, object]
Progress = Callable[[int, int], None]
"""Called after each answered request with (requests done, requests planned)."""


class LoadError(Exception):
    """The run could not start: the server is unreachable, or it refused to sign in."""


@dataclass(frozen=True, slots=True)
class Login:
    """Sign in with a username and password (accounts without a second factor)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load run did.

    ``errors`` counts failed requests by HTTP status (``"401"``) or, when no answer came,
    by the transport error (``"ReadTimeout"``); ``first_error`` describes the first one.
    ``latencies_ms`` holds one entry per answered request, whatever its status.
    """

    target_rate: float
    sent: int
    created: int
    errors: Mapping[str, int]
    first_error: str | None
    elapsed_s: float
    latencies_ms: tuple[float, ...]

    @property
    def achieved_rate(self) -> float:
        """Incidents created per second of the run."""
        return self.created / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def latency_ms(self, percentile: float) -> float | None:
        """The ``percentile`` (0-100) of the request latencies; ``None`` without answers.

        >>> result = LoadResult(1.0, 4, 4, {}, None, 4.0, (10.0, 20.0, 30.0, 40.0))
        >>> result.latency_ms(50), result.latency_ms(100)
        (25.0, 40.0)
        >>> LoadResult(1.0, 1, 0, {"ConnectError": 1}, "no", 1.0, ()).latency_ms(50) is None
        True
        """
        if not self.latencies_ms:
            return None
        return float(np.percentile(np.asarray(self.latencies_ms), percentile))

    def summary(self) -> list[str]:
        """Lines for a person: counts, errors, achieved rate and latency percentiles."""
        lines = [
            f"sent:     {self.sent} requests in {self.elapsed_s:.1f} s",
            f"created:  {self.created} incidents (201)",
        ]
        if self.errors:
            counts = ", ".join(f"{key} x {n}" for key, n in sorted(self.errors.items()))
            lines += [f"errors:   {counts}", f"first:    {self.first_error}"]
        lines.append(
            f"rate:     {self.achieved_rate:.1f}/s created (target {self.target_rate:g}/s)"
        )
        if self.latencies_ms:
            p50, p95, p99 = (self.latency_ms(q) or 0.0 for q in (50, 95, 99))
            lines.append(f"latency:  p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
        return lines


def poisson_schedule(
    rate: float, duration: float, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Arrival offsets in seconds of a Poisson process of ``rate`` per second.

    Parameters
    ----------
    rate
        Arrivals per second, positive.
    duration
        Length of the window in seconds; offsets fall in ``[0, duration)``.
    rng
        The random source.

    Returns
    -------
    numpy.ndarray
        Increasing offsets; about ``rate * duration`` of them.

    Examples
    --------
    >>> offsets = poisson_schedule(100.0, 10.0, np.random.default_rng(1))
    >>> 900 < len(offsets) < 1100, bool(np.all(np.diff(offsets) > 0)), bool(offsets[-1] < 10)
    (True, True, True)
    >>> len(poisson_schedule(5.0, 0.0, np.random.default_rng(1)))
    0
    """
    expected = rate * duration
    count = int(expected + 10 * np.sqrt(expected) + 10)
    offsets = np.cumsum(rng.exponential(1.0 / rate, size=count))
    while offsets.size and offsets[-1] < duration:  # not enough gaps drawn: extend
        more = offsets[-1] + np.cumsum(rng.exponential(1.0 / rate, size=count))
        offsets = np.concatenate([offsets, more])
    result: npt.NDArray[np.float64] = offsets[offsets < duration]
    return result


def incident_body(call: SimCall, rng: np.random.Generator) -> Json:
    """The ``POST /api/incidents`` body of a simulated call from a caller's phone."""
    return {
        "nature_code": call.nature_code,
        "location": {
            "lat": call.lat,
            "lon": call.lon,
            "address": call.address,
            "source": "caller_device",
            "accuracy_m": float(rng.choice([5.0, 10.0, 15.0, 30.0, 50.0])),
        },
        "caller": {"number": f"+35840{int(rng.integers(10**7)):07d}"},
        "summary": f"simulated call (load mode): {call.nature_code} at {call.address}",
    }


def describe(response: httpx.Response) -> str:
    """``"401 Authentication required: unknown or revoked API token"`` for a problem body."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:300]}"
    if not isinstance(body, dict) or not isinstance(body.get("detail"), str):
        return f"{response.status_code}: {json.dumps(body)[:300]}"
    text = f"{response.status_code} {body.get('title', '')}: {body['detail']}".replace(" :", ":")
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        text += f" ({errors[0].get('field')}: {errors[0].get('message')})"
    return text


def _reason(exc: Exception) -> str:
    """``"ConnectError: All connection attempts failed"``, or the bare name without text."""
    name = type(exc).__name__
    return f"{name}: {exc}" if str(exc) else name


async def _reach(client: httpx.AsyncClient) -> None:
    """Raise :class:`LoadError` unless the server answers ``GET /healthz``."""
    try:
        response = await client.get("/healthz")
    except httpx.HTTPError as exc:
        raise LoadError(f"cannot reach the server at {client.base_url} ({_reason(exc)})") from exc
    if response.status_code != 200:
        raise LoadError(
            f"{client.base_url} does not answer like a Signalfire server "
            f"(GET /healthz: {describe(response)})"
        )


async def _sign_in(client: httpx.AsyncClient, login: Login) -> str:
    """A bearer token for ``login``, or :class:`LoadError` saying why not."""
    credentials = {"username": login.username, "password": login.password}
    try:
        response = await client.post("/api/auth/login", json=credentials)
    except httpx.HTTPError as exc:
        raise LoadError(f"cannot reach the server at {client.base_url} ({_reason(exc)})") from exc
    if response.status_code == 200:
        body = response.json()
        if body.get("second_factor_enrollment_required"):
            raise LoadError(
                f"{login.username!r} must enrol a second factor before working; "
                "create an API token for the load run and pass --token"
            )
        return str(body["token"])
    reason = describe(response)
    if "second factor" in reason:
        raise LoadError(
            f"{login.username!r} signs in with a second factor, which load mode cannot give; "
            "create an API token (POST /api/tokens) and pass --token"
        )
    raise LoadError(f"sign-in refused: {reason}")


@dataclass
class _Tally:
    """Outcomes as they come in."""

    planned: int
    on_progress: Progress | None
    done: int = 0
    created: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    first_error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)

    def answered(self, response: httpx.Response, latency_s: float) -> None:
        self.latencies_ms.append(latency_s * 1000)
        if response.status_code == 201:
            self.created += 1
        else:
            self._failed(str(response.status_code), describe(response))
        self._step()

    def unanswered(self, exc: httpx.HTTPError) -> None:
        self._failed(type(exc).__name__, _reason(exc))
        self._step()

    def _failed(self, key: str, text: str) -> None:
        self.errors[key] += 1
        self.first_error = self.first_error or text

    def _step(self) -> None:
        self.done += 1
        if self.on_progress is not None:
            self.on_progress(self.done, self.planned)


async def _drive(
    client: httpx.AsyncClient,
    schedule: Sequence[tuple[float, Json]],
    concurrency: int,
    tally: _Tally,
) -> None:
    """Post each body at its offset, at most ``concurrency`` requests in flight."""
    slots = asyncio.Semaphore(concurrency)
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def post(body: Json) -> None:
        async with slots:
            began = time.perf_counter()
            try:
                response = await client.post("/api/incidents", json=body)
            except httpx.HTTPError as exc:
                tally.unanswered(exc)
            else:
                tally.answered(response, time.perf_counter() - began)

    tasks = []
    for offset, body in schedule:
        await asyncio.sleep(max(0.0, start + offset - loop.time()))
        tasks.append(asyncio.create_task(post(body)))
    await asyncio.gather(*tasks)


async def run_load(
    *,
    url: str,
    rate: float,
    duration: float,
    auth: str | Login,
    addresses: Sequence[AddressRecord],
    seed: int = 1,
    concurrency: int = 32,
    timeout_s: float = 30.0,
    model: CallModel | None = None,
    on_progress: Progress | None = None,
) -> LoadResult:
    """Post simulated incidents to ``url`` at ``rate`` per second for ``duration`` seconds.

    ``auth`` is an API token, or a :class:`Login` to sign in with first. Natures and places
    come from ``model`` (the default mix when ``None``) over ``addresses``; the same seed
    gives the same calls at the same offsets. Raises :class:`LoadError` when the server
    cannot be reached or refuses to sign in; failed incident posts are counted instead.
    """
    if not (rate > 0 and duration >= 0 and concurrency >= 1 and timeout_s > 0):
        raise ValueError("rate and timeout_s must be positive, duration >= 0, concurrency >= 1")
    if not url.startswith(("http://", "https://")):
        raise LoadError(f"{url!r} is not an http:// or https:// URL")
    timing_rng, call_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    offsets = poisson_schedule(rate, duration, timing_rng)
    model = model or CallModel(calls_per_hour=rate * 3600)
    now = datetime.now(UTC)
    calls = (draw_call(model, now + timedelta(seconds=o), addresses, call_rng) for o in offsets)
    schedule = [(float(o), incident_body(c, call_rng)) for o, c in zip(offsets, calls, strict=True)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(timeout_s, pool=None)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        await _reach(client)
        token = auth if isinstance(auth, str) else await _sign_in(client, auth)
        client.headers["Authorization"] = f"Bearer {token}"
        tally = _Tally(planned=len(schedule), on_progress=on_progress)
        began = time.perf_counter()
        await _drive(client, schedule, concurrency, tally)
        await asyncio.sleep(max(0.0, duration - (time.perf_counter() - began)))
        elapsed = time.perf_counter() - began
    return LoadResult(
        target_rate=rate,
        sent=tally.done,
        created=tally.created,
        errors=dict(tally.errors),
        first_error=tally.first_error,
        elapsed_s=elapsed,
        latencies_ms=tuple(tally.latencies_ms),
    )
