"""Settings: environment, TOML file, and clear refusals of unknown or bad keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from signalfire.core.config import Settings, UnknownSettingError, load_settings


def test_defaults_are_the_embedded_install() -> None:
    settings = load_settings()
    assert settings.database.url.startswith("sqlite:///")
    assert settings.auth.idle_timeout_minutes == 30
    assert settings.auth.lockout_threshold == 5
    assert settings.auth.lockout_minutes == 10


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_AUTH__IDLE_TIMEOUT_MINUTES", "15")
    monkeypatch.setenv("SIGNALFIRE_API__PORT", "9000")
    settings = load_settings()
    assert (settings.auth.idle_timeout_minutes, settings.api.port) == (15, 9000)


def test_unknown_environment_variable_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_AUTH__IDLE_TIMEOUT", "15")
    with pytest.raises(UnknownSettingError, match="SIGNALFIRE_AUTH__IDLE_TIMEOUT"):
        load_settings()


def test_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "signalfire.toml"
    config.write_text('[database]\nurl = "sqlite:///elsewhere.db"\n[auth]\nlockout_minutes = 20\n')
    monkeypatch.setenv("SIGNALFIRE_CONFIG", str(config))
    settings = load_settings()
    assert settings.database.url == "sqlite:///elsewhere.db"
    assert settings.auth.lockout_minutes == 20


def test_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "signalfire.toml"
    config.write_text("[auth]\nlockout_minutes = 20\n")
    monkeypatch.setenv("SIGNALFIRE_CONFIG", str(config))
    monkeypatch.setenv("SIGNALFIRE_AUTH__LOCKOUT_MINUTES", "7")
    assert load_settings().auth.lockout_minutes == 7


@pytest.mark.parametrize(
    ("toml", "location"),
    [
        ("[auth]\nlockout_minuts = 20\n", "auth.lockout_minuts"),
        ("colour = 'red'\n", "colour"),
        ("[auth]\nlockout_minutes = 'soon'\n", "auth.lockout_minutes"),
        ("[api]\nport = 70000\n", "api.port"),
    ],
)
def test_bad_keys_in_the_file_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, location: str
) -> None:
    config = tmp_path / "signalfire.toml"
    config.write_text(toml)
    monkeypatch.setenv("SIGNALFIRE_CONFIG", str(config))
    with pytest.raises(ValidationError) as raised:
        load_settings()
    assert location in str(raised.value)


def test_a_missing_config_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_CONFIG", "/nonexistent/signalfire.toml")
    with pytest.raises(FileNotFoundError, match="nonexistent"):
        load_settings()


def test_every_setting_is_described() -> None:
    def undescribed(model: type[object], prefix: str = "") -> list[str]:
        missing = []
        for name, field in model.model_fields.items():  # type: ignore[attr-defined]
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                missing += undescribed(annotation, f"{prefix}{name}.")
            elif not field.description:
                missing.append(prefix + name)
        return missing

    assert undescribed(Settings) == []


def test_the_embedded_database_follows_the_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNALFIRE_DATA_DIR", "/srv/signalfire")
    assert load_settings().database.url == "sqlite:////srv/signalfire/signalfire.db"
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", "postgresql+psycopg://db/signalfire")
    assert load_settings().database.url == "postgresql+psycopg://db/signalfire"
