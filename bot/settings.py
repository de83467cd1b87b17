"""Typed settings, read from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
import sys
from datetime import time
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from playbooks.business_calendar import (
    BusinessCalendar,
    BusinessHours,
    parse_business_hours,
    public_holidays,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")


class Settings(BaseSettings):
    """Everything the bot reads from its environment; see `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    slack_bot_token: SecretStr
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_pacing: bool = True
    database_url: str = "sqlite:///./incidents.db"
    auto_migrate: bool = True
    port: int = Field(default=3000, ge=1, le=65535)
    incidents_channel: str = "incidents"
    incident_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    log_level: str = "INFO"
    log_format: str = "text"
    playbook_pack: str = "default"
    pack_time_scale: float = Field(default=1.0, gt=0)
    checklist_times: Annotated[dict[str, time], NoDecode] = Field(default_factory=dict)
    # --- alert intake (issue 11) ---
    alert_tokens: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    alert_hmac_secret: SecretStr | None = None
    alert_commander: str | None = None
    tz: str = "UTC"
    business_hours: Annotated[BusinessHours, NoDecode] = parse_business_hours("09:00-17:00")
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    escalation_contacts: Annotated[dict[int, tuple[str, ...]], NoDecode] = Field(
        default_factory=dict
    )
    # --- Paging out (PagerDuty, Opsgenie) ---
    pagerduty_routing_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    opsgenie_api_keys: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)
    opsgenie_api_url: str = "https://api.opsgenie.com"
    # --- Channel lifecycle (issue 12) ---
    archive_after_days: int = Field(default=14, ge=0)
    # --- App Home (issue 12) ---
    home_refresh_seconds: float = Field(default=5.0, ge=0)
    # --- Statuspage (issue 12) ---
    statuspage_api_url: str = "https://api.statuspage.io/v1"
    statuspage_page_id: str | None = None
    statuspage_api_key: SecretStr | None = None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("slack_app_token", "slack_signing_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        return database_url_shape(value)

    @field_validator("incident_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _one_of_known(cls, value: object, info: ValidationInfo) -> object:
        """LOG_LEVEL (`DEBUG` … `CRITICAL`) and LOG_FORMAT (`text`, `json`), in any case."""
        choices = LOG_LEVELS if info.field_name == "log_level" else LOG_FORMATS
        given = str(value).strip().lower()
        if not given:  # blank, as in .env.example: the default
            return "INFO" if info.field_name == "log_level" else "text"
        for choice in choices:
            if given == choice.lower():
                return choice
        raise ValueError(f"must be one of {', '.join(choices)}")

    @field_validator("tz")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as UTC or Europe/Berlin") from None
        return value

    @field_validator("business_hours", mode="before")
    @classmethod
    def _parse_business_hours(cls, value: object) -> object:
        return parse_business_hours(value) if isinstance(value, str) else value

    @field_validator("holiday_country", "holiday_subdivision", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None:
            public_holidays(value)  # raises naming valid examples
            return value.strip().upper()
        return value

    @field_validator("holiday_subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        country = info.data.get("holiday_country")
        if country is None:
            raise ValueError("needs HOLIDAY_COUNTRY, the country it is a subdivision of")
        public_holidays(country, value)  # raises naming the country's subdivisions
        return value.strip().upper()

    @field_validator("escalation_contacts", mode="before")
    @classmethod
    def _parse_contacts(cls, value: object) -> object:
        """`1=U123,U456;2=S0789`: escalation level → user or user-group IDs."""
        if not isinstance(value, str):
            return value
        contacts: dict[int, tuple[str, ...]] = {}
        for part in filter(None, (p.strip() for p in value.split(";"))):
            level, sep, ids = part.partition("=")
            if not sep or not level.strip().isdigit():
                raise ValueError(f"expected LEVEL=ID,ID;LEVEL=ID… but got {part!r}")
            members = tuple(i.strip() for i in ids.split(",") if i.strip())
            if not all(m[:1] in {"U", "W", "S"} for m in members):
                raise ValueError(f"level {level.strip()}: IDs must be user (U…) or group (S…) IDs")
            contacts[int(level)] = members
        return contacts

    @field_validator("pagerduty_routing_keys", "opsgenie_api_keys", mode="before")
    @classmethod
    def _parse_pager_keys(cls, value: object) -> object:
        """`payments-oncall=KEY;platform=KEY`: a pack's pager target name → its key."""
        if not isinstance(value, str):
            return value
        keys: dict[str, SecretStr] = {}
        for part in filter(None, (p.strip() for p in value.split(";"))):
            name, sep, key = part.partition("=")
            if not sep or not name.strip() or not key.strip():
                # Never echo `part`: it holds a key.
                raise ValueError("expected NAME=KEY;NAME=KEY… (a name and its key)")
            keys[name.strip()] = SecretStr(key.strip())
        return keys

    @field_validator("pagerduty_events_url", "opsgenie_api_url", "statuspage_api_url")
    @classmethod
    def _pager_url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("checklist_times", mode="before")
    @classmethod
    def _parse_checklist_times(cls, value: object) -> object:
        """`pre-launch=08:30;backups=07:00`: a daily checklist's id → its local time."""
        if not isinstance(value, str):
            return value
        times: dict[str, time] = {}
        for part in filter(None, (p.strip() for p in value.split(";"))):
            checklist, sep, at = part.partition("=")
            hours, colon, minutes = at.strip().partition(":")
            if not sep or not colon or not (hours.isdigit() and minutes.isdigit()):
                raise ValueError(f"expected CHECKLIST_ID=HH:MM;… but got {part!r}")
            if int(hours) > 23 or int(minutes) > 59:
                raise ValueError(f"{at.strip()!r} is not a time of day (00:00 to 23:59)")
            times[checklist.strip()] = time(int(hours), int(minutes))
        return times

    @field_validator("alert_tokens", mode="before")
    @classmethod
    def _parse_alert_tokens(cls, value: object) -> object:
        """`alertmanager:s3cret,grafana:0ther`: a sender's name → its bearer token."""
        if not isinstance(value, str):
            return value
        tokens: dict[str, SecretStr] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            name, sep, token = part.partition(":")
            if not sep or not name.strip() or len(token.strip()) < 16:
                raise ValueError(
                    "expected NAME:TOKEN,… with tokens of at least 16 characters "
                    f"(the entry named {name.strip()[:40]!r} is not)"
                )
            tokens[name.strip()] = SecretStr(token.strip())
        return tokens

    @field_validator(
        "alert_hmac_secret",
        "alert_commander",
        "statuspage_page_id",
        "statuspage_api_key",
        mode="before",
    )
    @classmethod
    def _blank_alert_setting_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("alert_commander")
    @classmethod
    def _alert_commander_is_a_user(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[UW][A-Z0-9_]+", value):
            raise ValueError("must be a Slack user ID such as U0123ABCD")
        return value

    @model_validator(mode="after")
    def _signing_secret_in_http_mode(self) -> Settings:
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(
                "SLACK_SIGNING_SECRET is required in HTTP mode (set it, or set SLACK_APP_TOKEN "
                "for Socket Mode)"
            )
        return self

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set, so the bot connects over Socket Mode."""
        return self.slack_app_token is not None

    @property
    def secrets(self) -> list[str]:
        """Every secret value set (tokens, signing secret, pager and Statuspage keys), for log
        redaction."""
        values = [self.slack_bot_token, self.slack_app_token, self.slack_signing_secret]
        values += [*self.pagerduty_routing_keys.values(), *self.opsgenie_api_keys.values()]
        values.append(self.statuspage_api_key)
        return [value.get_secret_value() for value in values if value is not None]

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar of `TZ`, `BUSINESS_HOURS`, `HOLIDAY_COUNTRY` and
        `HOLIDAY_SUBDIVISION` (built once for each combination of their values)."""
        return _business_calendar(
            self.tz, self.business_hours, self.holiday_country, self.holiday_subdivision
        )


@lru_cache(maxsize=8)
def _business_calendar(
    tz: str, hours: BusinessHours, country: str | None, subdivision: str | None
) -> BusinessCalendar:
    """Keyed by the values rather than cached on a Settings instance, so a copy of the
    settings with another TZ never sees the old calendar."""
    days_off = public_holidays(country, subdivision) if country else frozenset()
    return BusinessCalendar(tz=ZoneInfo(tz), hours=hours, holidays=days_off)


def database_url_shape(value: str) -> str:
    """DATABASE_URL names a database the bot has a driver for."""
    if not value.startswith(("sqlite", "postgresql", "postgres")):
        raise ValueError("must be a sqlite:/// or postgresql:// URL")
    return value


def describe_settings_error(error: ValidationError) -> str:
    """One line naming the first bad variable and what is wrong with it."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]).upper()
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"{name} is not set: it is required (see .env.example)"
    if not name:
        return message
    return f"{name} is invalid: {message}"


def get_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, `.env` and any overrides (validated like them)."""
    return Settings(**overrides)


class _AsGiven(BaseSettings):
    """Settings as written, read where Settings reads them, to tell blank from set."""

    model_config = Settings.model_config
    slack_bot_token: str = ""
    log_level: str = ""


def slack_token_set() -> bool:
    """Whether SLACK_BOT_TOKEN is set (not blank): without one the bot runs its sandbox."""
    return bool(_AsGiven().slack_bot_token.strip())


def log_level_set() -> bool:
    """Whether LOG_LEVEL is set (not blank), rather than left to its default."""
    return bool(_AsGiven().log_level.strip())


def settings_or_exit(**overrides: Any) -> Settings:
    """Build settings, or print one line naming the bad variable and exit with code 2."""
    try:
        return get_settings(**overrides)
    except ValidationError as error:
        print(f"incident-bot: {describe_settings_error(error)}", file=sys.stderr)
        raise SystemExit(2) from None
