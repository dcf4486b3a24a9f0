"""Who may see what on the dashboard: roles as data, and the sign-in log.

A signed-in person is a ``Viewer``: a name, how they signed in, a role and (for a
provincial role) their provinces. The role decides two things, both enforced where the
data is read (``dashboards/marts.py``), not where it is drawn:

- ``national``: every province and the nation;
- ``provincial``: the nation and their own provinces, nothing of any other province;
- ``operations``: every province, and also the operational records: quarantined rows as
  delivered, the alert log and the ingest file list.

Nobody else sees the operational records: the Data-health page shows them only counts.
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.contract import NATIONAL_CODE, PROVINCE_CODES
from core.home import Home

ROLES = ("national", "provincial", "operations")
EVERY_PROVINCE = (NATIONAL_CODE, *PROVINCE_CODES)
LOOPBACK_NAMES = ("localhost",)


class AccessError(ValueError):
    """A role, a province list or a user name that cannot be used; the message says why."""


@dataclass(frozen=True)
class Viewer:
    """One signed-in person (or the anonymous loopback user) and what they may see."""

    name: str
    role: str
    provinces: tuple[str, ...] = ()
    method: str = "local"

    @property
    def allowed_provinces(self) -> tuple[str, ...]:
        """The province codes whose rows this viewer may read; the nation is always one."""
        if self.role == "provincial":
            return (NATIONAL_CODE, *self.provinces)
        return EVERY_PROVINCE

    @property
    def sees_operations(self) -> bool:
        """Quarantined records, alert log and file list: the operations team's working data."""
        return self.role == "operations"


LOOPBACK_VIEWER = Viewer("local", "national", (), "loopback")
"""Who the dashboard opens as on 127.0.0.1 when no sign-in method is configured."""


def check_role(role: str, provinces: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The province list a role may carry, checked (raises AccessError with one line)."""
    if role not in ROLES:
        raise AccessError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    unknown = [p for p in provinces if p not in PROVINCE_CODES]
    if unknown:
        raise AccessError(
            f"not mainland province codes: {', '.join(unknown)} (GB/T 2260, e.g. 440000)"
        )
    if role == "provincial" and not provinces:
        raise AccessError("a provincial role needs its provinces (--province CODE, repeatable)")
    if role != "provincial" and provinces:
        raise AccessError(f"a {role} role sees every province: give no --province")
    return tuple(dict.fromkeys(provinces))


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost).

    An empty address is Streamlit's default, every interface: not loopback.
    """
    if not address:
        return False
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def log_path(home: Home) -> Path:
    return home.root / "logs" / "dashboard-access.log"


def log_event(home: Home, user: str, method: str, outcome: str, client: str | None = None) -> str:
    """One line per sign-in, sign-out or refusal, to the access log and stderr.

    The user name is quoted as JSON, so a name typed into the form cannot forge a line;
    no password ever reaches this function.
    """
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    line = (
        f"{stamp} user={json.dumps(user, ensure_ascii=False)} method={method} "
        f"outcome={outcome} client={client or '-'}"
    )
    path = log_path(home)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # kpiwatch.retention rewrites it under this lock
            log.write(line + "\n")
    except OSError as exc:  # the dashboard keeps serving; stderr still has the line
        print(f"kpiwatch dashboard: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
    print(f"kpiwatch dashboard access: {line}", file=sys.stderr, flush=True)
    return line
