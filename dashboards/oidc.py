"""Single sign-on for the dashboard: ``[dashboard.oidc]`` in ``<home>/kpiwatch.toml``.

The config says where the provider is and where the secrets come from (names of
environment variables, never the secrets themselves), and maps identities to roles::

    [dashboard.oidc]
    server_metadata_url = "https://sso.example.cn/.well-known/openid-configuration"
    redirect_uri = "https://kpi.example.cn/oauth2callback"
    client_id = "kpiwatch"                      # or client_id_env
    client_secret_env = "KPIWATCH_OIDC_CLIENT_SECRET"
    cookie_secret_env = "KPIWATCH_OIDC_COOKIE_SECRET"   # optional
    groups_claim = "groups"                     # optional (default "groups")
    scope = "openid profile email"              # optional

    [[dashboard.oidc.roles]]
    group = "kpi-national"
    role = "national"
    [[dashboard.oidc.roles]]
    email = "li.na@example.cn"
    role = "provincial"
    provinces = ["440000"]

``kpiwatch dashboard`` turns it into Streamlit's ``[auth]`` secrets in
``<home>/secrets/dashboard/secrets.toml`` (folder 0700, file 0600, rewritten at every start
and removed when SSO is no longer configured): the only place the client secret is
written, and never inside the repository. The app reads the role mapping from the config.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets as token
from dataclasses import dataclass, field
from pathlib import Path

from core.config import CONFIG_FILE, ConfigError, Section, read_config
from core.home import Home
from dashboards.access import AccessError, Viewer, check_role

PROVIDER = "sso"
"""The provider's name in Streamlit's secrets: ``st.login("sso")``."""


@dataclass(frozen=True)
class RoleRule:
    """Identities with this email (or in this group) get this role and provinces."""

    role: str
    provinces: tuple[str, ...]
    email: str | None = None
    group: str | None = None

    def matches(self, email: str | None, groups: list[str]) -> bool:
        if self.email is not None:
            return email is not None and email.lower() == self.email.lower()
        return self.group in groups


@dataclass(frozen=True)
class OidcSettings:
    server_metadata_url: str
    redirect_uri: str
    client_id: str | None
    client_id_env: str | None
    client_secret_env: str
    cookie_secret_env: str | None
    groups_claim: str = "groups"
    scope: str = "openid profile email"
    roles: tuple[RoleRule, ...] = field(default_factory=tuple)

    def viewer(self, claims: dict) -> Viewer | None:
        """The viewer an identity maps to: the first matching rule, else None (no access).

        An email the provider marks as not verified (``email_verified: false``) never
        matches an email rule.
        """
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is False:
            email = None
        raw = claims.get(self.groups_claim) or []
        groups = [raw] if isinstance(raw, str) else [str(g) for g in raw if g is not None]
        name = email or str(claims.get("preferred_username") or claims.get("sub") or "?")
        for rule in self.roles:
            if rule.matches(email, groups):
                return Viewer(name, rule.role, rule.provinces, "oidc")
        return None


def config_path(home: Home) -> Path:
    return home.root / CONFIG_FILE


def _url(section: Section, key: str) -> str:
    value = section.text(key)
    if not value or not value.startswith(("http://", "https://")):
        raise ConfigError(
            f"{section.path}: {section.where}.{key} = {value!r}: expected an absolute http(s) URL"
        )
    return value


def settings(home: Home) -> OidcSettings | None:
    """``[dashboard.oidc]``, checked; None when the section is absent (SSO off)."""
    config = read_config(config_path(home))
    board = Section(config.data.get("dashboard", {}), "dashboard", config.path)
    if "oidc" not in board.data:
        return None
    oidc = board.table("oidc")
    redirect = _url(oidc, "redirect_uri")
    if not redirect.rstrip("/").endswith("/oauth2callback"):
        raise ConfigError(
            f"{oidc.path}: dashboard.oidc.redirect_uri = {redirect!r}: expected the dashboard's "
            "own address ending in /oauth2callback"
        )
    client_id = oidc.text("client_id")
    client_id_env = oidc.text("client_id_env")
    if (client_id is None) == (client_id_env is None):
        raise ConfigError(
            f"{oidc.path}: [dashboard.oidc]: give exactly one of client_id, client_id_env"
        )
    client_secret_env = oidc.text("client_secret_env")
    if not client_secret_env:
        raise ConfigError(
            f"{oidc.path}: dashboard.oidc.client_secret_env: expected the name of the "
            "environment variable that holds the client secret"
        )
    rules = []
    for rule in oidc.tables("roles"):
        email, group = rule.text("email"), rule.text("group")
        if (email is None) == (group is None):
            raise ConfigError(
                f"{rule.path}: dashboard.oidc.{rule.where}: give exactly one of email, group"
            )
        role = rule.text("role")
        provinces = rule.texts("provinces")
        try:
            chosen = check_role(role or "", list(provinces))
        except AccessError as exc:
            raise ConfigError(f"{rule.path}: dashboard.oidc.{rule.where}: {exc}") from exc
        rule.reject_unknown()
        rules.append(RoleRule(role or "", chosen, email, group))
    found = OidcSettings(
        server_metadata_url=_url(oidc, "server_metadata_url"),
        redirect_uri=redirect,
        client_id=client_id,
        client_id_env=client_id_env,
        client_secret_env=client_secret_env,
        cookie_secret_env=oidc.text("cookie_secret_env"),
        groups_claim=oidc.text("groups_claim", "groups") or "groups",
        scope=oidc.text("scope", "openid profile email") or "openid profile email",
        roles=tuple(rules),
    )
    oidc.reject_unknown()
    return found


def secrets_dir(home: Home) -> Path:
    return home.secrets / "dashboard"


def secrets_file(home: Home) -> Path:
    return secrets_dir(home) / "secrets.toml"


def _env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigError(f"{CONFIG_FILE}: {what}: the environment variable {name} is not set")
    return value


def _cookie_secret(home: Home, found: OidcSettings) -> str:
    """The key that signs the identity cookie: from its variable, else one kept in the
    private folder (made once, so a restart does not sign everyone out)."""
    if found.cookie_secret_env:
        return _env(found.cookie_secret_env, "dashboard.oidc.cookie_secret_env")
    kept = secrets_dir(home) / "cookie_secret"
    if not kept.exists():
        _private_write(kept, token.token_urlsafe(48))
    return kept.read_text(encoding="utf-8").strip()


def _private_write(file: Path, text: str) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(file.parent, 0o700)
    os.chmod(file.parent.parent, 0o700)
    temporary = file.with_name(f".{file.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, file)


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def write_secrets(home: Home) -> Path | None:
    """Streamlit's ``[auth]`` secrets for the configured provider (None when SSO is off;
    a file left by an earlier start is then removed). Raises ConfigError naming the key."""
    found = settings(home)
    target = secrets_file(home)
    if found is None:
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        return None
    client_id = found.client_id or _env(found.client_id_env or "", "dashboard.oidc.client_id_env")
    client_secret = _env(found.client_secret_env, "dashboard.oidc.client_secret_env")
    lines = [
        "# Written by `kpiwatch dashboard` from [dashboard.oidc] in kpiwatch.toml; do not edit.",
        "[auth]",
        f"redirect_uri = {_toml(found.redirect_uri)}",
        f"cookie_secret = {_toml(_cookie_secret(home, found))}",
        "",
        f"[auth.{PROVIDER}]",
        f"client_id = {_toml(client_id)}",
        f"client_secret = {_toml(client_secret)}",
        f"server_metadata_url = {_toml(found.server_metadata_url)}",
        "",
        f"[auth.{PROVIDER}.client_kwargs]",
        f"scope = {_toml(found.scope)}",
        "",
    ]
    _private_write(target, "\n".join(lines))
    return target
