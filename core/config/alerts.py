"""Alerting settings from ``<home>/kpiwatch.toml``: reminders, channels, routes.

How bad a breach is comes from ``marts.kpi_breaches`` (bands in ``[severity]``, read by
``core.config.severity`` and applied by dbt), never from here.

Secrets never sit in the file: a channel names the environment variables that hold its
webhook URL (which carries the robot's token), signing secret or SMTP password, and they
are read only when delivering. A missing variable then fails that channel's delivery with
a message naming it (the alert stays pending) instead of stopping ingest and build.
An inline ``url`` is accepted (an internal relay without a token), and is treated as a
secret all the same: no message ever shows more of it than its host (``alerts.redaction``).
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field

from core.config import ConfigError, Section
from core.config.severity import SEVERITIES
from core.contract import NATIONAL_CODE, PROVINCE_CODES, SOURCES

CHANNEL_TYPES = ("webhook", "wecom", "dingtalk", "feishu", "slack", "email")
CATEGORIES = ("breach", "data", "at_risk")
SECURITY = ("starttls", "ssl", "none")


class SecretMissing(RuntimeError):
    """An environment variable named in kpiwatch.toml is not set where kpiwatch runs."""


def _env(name: str, what: str, channel: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SecretMissing(
            f"channel {channel}: environment variable {name} ({what}) is not set; "
            "export it where kpiwatch runs (e.g. in the systemd unit's EnvironmentFile)"
        )
    return value


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    url: str | None = field(default=None, repr=False)
    """An inline URL (kpiwatch.toml is then a secret itself); ``url_env`` is preferred."""
    url_env: str | None = None
    secret_env: str | None = None
    """DingTalk / Feishu robot signing secret, or the generic webhook's HMAC key."""
    host: str | None = None
    port: int = 0
    security: str = "starttls"
    username: str | None = field(default=None, repr=False)
    username_env: str | None = None
    password_env: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    ca_file: str | None = None
    max_lines: int = 0
    """Lines of a digest before '… and N more' (0: the channel type's default)."""

    def webhook_url(self) -> str:
        if self.url_env:
            return _env(self.url_env, "the webhook URL", self.name)
        assert self.url is not None
        return self.url

    def secret(self) -> str | None:
        return _env(self.secret_env, "the signing secret", self.name) if self.secret_env else None

    def credentials(self) -> tuple[str, str] | None:
        user = self.username
        if self.username_env:
            user = _env(self.username_env, "the SMTP user name", self.name)
        if not user:
            return None
        if not self.password_env:
            raise SecretMissing(f"channel {self.name}: a username needs password_env too")
        return user, _env(self.password_env, "the SMTP password", self.name)


@dataclass(frozen=True)
class Route:
    name: str
    channels: tuple[str, ...]
    owners: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_severity: str = "minor"

    def matches(
        self,
        category: str,
        severity: str,
        province: str | None,
        kpi: str | None,
        source: str | None,
    ) -> bool:
        """Every filter given must hold; an empty filter holds for anything."""
        if self.categories and not (
            category in self.categories or (category == "at_risk" and "breach" in self.categories)
        ):
            return False
        if severity in SEVERITIES and SEVERITIES.index(severity) < SEVERITIES.index(
            self.min_severity
        ):
            return False
        if self.provinces and province not in self.provinces:
            return False
        if self.kpis and not (kpi and any(fnmatch.fnmatchcase(kpi, p) for p in self.kpis)):
            return False
        return not (
            self.sources
            and not (source and any(fnmatch.fnmatchcase(source, p) for p in self.sources))
        )


@dataclass(frozen=True)
class AlertSettings:
    reminder_hours: float = 24.0
    """A breach still open gets a reminder at most this often."""
    remind_past_periods: bool = False
    """Remind about months before the latest one too (their figures are final)."""
    data_reminders: bool = True
    """Remind about data conditions still open (a province still silent)."""
    lookback_months: int = 2
    """Breaches of the latest month and the ones before it, this many in all, raise alerts:
    a first run on years of history does not flood anyone."""
    include_national: bool = True
    """Alert on the nation's breaches too (marts.kpi_breaches rows with is_national)."""
    at_risk_probability: float = 0.8
    """An at_risk alert is raised when marts.kpi_at_risk gives the running month at least
    this probability of ending non-compliant (docs/early-warning.md)."""
    retries: int = 3
    backoff_seconds: float = 2.0
    timeout_seconds: float = 10.0
    max_attempts: int = 48
    """Attempts, over runs, before an alert is marked failed (0: never give up)."""
    dashboard_url: str | None = None
    breach_page: str = "{url}/?page=province&province={province_code}&kpi={kpi_id}&period={period}"
    """The dashboard's province page on the KPI and month (its URL keys: page, province, kpi,
    period); placeholders url, province_code, kpi_id, segment, period."""
    data_page: str = "{url}/?page=health&province={province_code}"
    """The dashboard's data-health page; placeholders url, source, province_code."""
    channels: dict[str, Channel] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()

    def route(
        self,
        category: str,
        severity: str,
        province: str | None,
        kpi: str | None,
        source: str | None,
    ) -> tuple[list[str], list[str]]:
        """(channels, owners) for one alert: the union over every matching route. Without
        routes, every channel gets everything."""
        if not self.routes:
            return list(self.channels), []
        channels: list[str] = []
        owners: list[str] = []
        for route in self.routes:
            if route.matches(category, severity, province, kpi, source):
                channels += [c for c in route.channels if c not in channels]
                owners += [o for o in route.owners if o not in owners]
        return channels, owners

    @classmethod
    def from_config(cls, config: Section) -> AlertSettings:
        a = config.table("alerts")
        d = a.table("delivery")
        board = config.table("dashboard")
        defaults = cls()
        channels = _channels(config.table("channels"))
        routes = tuple(_route(r, channels) for r in config.tables("routes"))
        settings = cls(
            reminder_hours=a.number("reminder_hours", 24.0),
            remind_past_periods=a.boolean("remind_past_periods", False),
            data_reminders=a.boolean("data_reminders", True),
            lookback_months=a.integer("lookback_months", 2, low=1),
            include_national=a.boolean("include_national", True),
            at_risk_probability=a.number("at_risk_probability", 0.8, low=0.0, high=1.0),
            retries=d.integer("retries", 3, low=1),
            backoff_seconds=d.number("backoff_seconds", 2.0),
            timeout_seconds=d.number("timeout_seconds", 10.0, low=0.1),
            max_attempts=d.integer("max_attempts", 48),
            dashboard_url=(board.text("url") or "").rstrip("/") or None,
            breach_page=board.text("breach_page", defaults.breach_page) or defaults.breach_page,
            data_page=board.text("data_page", defaults.data_page) or defaults.data_page,
            channels=channels,
            routes=routes,
        )
        board.used.add("oidc")  # [dashboard.oidc]: the dashboard's sign-in (dashboards.oidc)
        for section in (d, a, board):
            section.reject_unknown()
        return settings


def _channels(section: Section) -> dict[str, Channel]:
    channels = {}
    for name in section.names():
        c = section.table(name)
        kind = c.text("type", None, CHANNEL_TYPES)
        assert kind is not None
        if kind == "email":
            security = c.text("security", "starttls", SECURITY) or "starttls"
            channel = Channel(
                name,
                kind,
                host=c.text("host"),
                port=c.integer("port", {"ssl": 465, "starttls": 587, "none": 25}[security], low=1),
                security=security,
                username=c.text("username"),
                username_env=c.text("username_env"),
                password_env=c.text("password_env"),
                sender=c.text("from"),
                to=c.texts("to"),
                ca_file=c.text("ca_file"),
                max_lines=c.integer("max_lines", 0),
            )
            if not channel.host or not channel.sender or not channel.to:
                raise ConfigError(
                    f"{section.path}: [channels.{name}] (email) needs host, from and to"
                )
        else:
            channel = Channel(
                name,
                kind,
                url=c.text("url"),
                url_env=c.text("url_env"),
                secret_env=c.text("secret_env"),
                max_lines=c.integer("max_lines", 0),
            )
            if bool(channel.url) == bool(channel.url_env):
                raise ConfigError(
                    f"{section.path}: [channels.{name}] ({kind}) needs exactly one of url "
                    "(not secret, e.g. an internal relay) or url_env (the environment variable "
                    "holding the robot's webhook URL with its token)"
                )
        c.reject_unknown()
        channels[name] = channel
    return channels


def _route(r: Section, channels: dict[str, Channel]) -> Route:
    provinces = r.texts("provinces")
    unknown = [p for p in provinces if p not in PROVINCE_CODES and p != NATIONAL_CODE]
    if unknown:
        raise ConfigError(
            f"{r.path}: {r.where}.provinces: {', '.join(unknown)} are not province codes "
            f"(GB/T 2260 like 440000, or {NATIONAL_CODE} for the nation)"
        )
    sources = r.texts("sources")
    bad_sources = [
        s for s in sources if not any(fnmatch.fnmatchcase(n, s) for n in (*SOURCES, "dbt"))
    ]
    if bad_sources:
        raise ConfigError(
            f"{r.path}: {r.where}.sources: {', '.join(bad_sources)} match no source "
            f"({', '.join(SOURCES)}, dbt)"
        )
    route = Route(
        name=r.text("name", r.where) or r.where,
        channels=r.texts("channels"),
        owners=r.texts("owners"),
        categories=r.texts("categories", (), CATEGORIES),
        provinces=provinces,
        kpis=r.texts("kpis"),
        sources=sources,
        min_severity=r.text("min_severity", "minor", SEVERITIES) or "minor",
    )
    missing = [c for c in route.channels if c not in channels]
    if not route.channels or missing:
        raise ConfigError(
            f"{r.path}: {r.where}.channels = {list(route.channels)!r}: "
            + (f"no channel named {', '.join(missing)}; " if missing else "empty; ")
            + f"defined channels: {', '.join(channels) or 'none ([channels.NAME] tables)'}"
        )
    r.reject_unknown()
    return route
