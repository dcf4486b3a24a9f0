"""What ``kpiwatch dashboard`` settles before it serves: where it listens, and how people
sign in.

By default it listens on 127.0.0.1 only. Served to others (any address that is not
loopback) it needs a sign-in method: local users (``kpiwatch users add``) or single
sign-on (``[dashboard.oidc]``); without one it refuses to start. On loopback without any
method the dashboard opens as a national viewer (an executive's laptop, ``make demo``).
"""

from __future__ import annotations

from core.config import ConfigError
from core.home import Home
from dashboards import oidc, users
from dashboards.access import AccessError, is_loopback

DEFAULT_ADDRESS = "127.0.0.1"


class DoorError(RuntimeError):
    """The dashboard cannot be served as asked; the message says why and what to do."""


def methods(home: Home) -> list[str]:
    """The sign-in methods configured for this home: ``oidc``, ``local``, both or none."""
    found = []
    if oidc.settings(home) is not None:
        found.append("oidc")
    if users.anyone(home):
        found.append("local")
    return found


def streamlit_args(home: Home, address: str) -> list[str]:
    """Streamlit options for this address (raises DoorError with one line).

    Writes (or removes) the SSO secrets file and always names it, so that no
    ``.streamlit/secrets.toml`` in the working folder can switch sign-in on or off.
    """
    try:
        users.check_private(home)
        secrets = oidc.write_secrets(home)
        configured = methods(home)
    except (ConfigError, AccessError, OSError) as exc:
        raise DoorError(str(exc)) from exc
    if not configured and not is_loopback(address):
        raise DoorError(
            f"refusing to serve the dashboard on {address} without sign-in: add a user with "
            "`kpiwatch users add` or configure [dashboard.oidc] in "
            f"{oidc.config_path(home)} (see docs/dashboard-access.md)"
        )
    return [
        "--server.address", address,
        "--secrets.files", str(secrets or oidc.secrets_file(home)),
    ]  # fmt: skip
