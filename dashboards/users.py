"""The dashboard's local users: ``<home>/secrets/dashboard-users.json``, for an intranet
without single sign-on.

Each user has a role, their provinces (provincial role only) and an Argon2id hash of their
password (salted, from ``argon2-cffi``): the file never holds a password, and
``kpiwatch users list`` never prints a hash. The folder is 0700 and the file 0600; it is
rewritten whole through a private temporary file and a rename, so a reader never sees
half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.home import Home
from dashboards.access import AccessError, Viewer, check_role

FILE_NAME = "dashboard-users.json"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("kpiwatch: no such user")
"""Checked against for an unknown name, so a wrong name costs as long as a wrong password."""


class UsersError(AccessError):
    """The users file or a user's entry cannot be used; the message names the file."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    provinces: tuple[str, ...]
    added_at: str

    def viewer(self) -> Viewer:
        return Viewer(self.name, self.role, self.provinces, "local")


def path(home: Home) -> Path:
    return home.secrets / FILE_NAME


def exists(home: Home) -> bool:
    """True when the file exists: the local sign-in is on (even with every user removed,
    so that removing the last user never opens the dashboard to everyone on loopback)."""
    _read(path(home))  # a broken file is an error, not "no users"
    return path(home).exists()


def anyone(home: Home) -> bool:
    """True when at least one user can sign in."""
    return bool(_read(path(home)))


def check_private(home: Home) -> None:
    """Refuse a users file that group or others can read (its hashes are guessable offline)."""
    file = path(home)
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsersError(f"{file} can be read by others (mode {mode & 0o777:o}): chmod 600 it")


def _read(file: Path) -> dict[str, dict]:
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise UsersError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
        users = data["users"]
        if not isinstance(users, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError) as exc:
        raise UsersError(f"{file}: not a kpiwatch users file (no users table)") from exc
    return users


def _write(file: Path, users: dict[str, dict]) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(file.parent, 0o700)
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"version": 1, "users": users}, out, indent=2, ensure_ascii=False)
            out.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, file)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _user(name: str, entry: dict) -> User:
    return User(
        name,
        str(entry.get("role", "")),
        tuple(entry.get("provinces", ())),
        str(entry.get("added_at", "")),
    )


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise UsersError(
            f"user name {name!r}: expected 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def add(home: Home, name: str, role: str, provinces: list[str], password: str) -> bool:
    """Add or replace a user; True when the name was new."""
    check_name(name)
    chosen = check_role(role, provinces)
    if len(password) < MIN_PASSWORD:
        raise UsersError(f"the password is too short: at least {MIN_PASSWORD} characters")
    file = path(home)
    users = _read(file)
    new = name not in users
    users[name] = {
        "role": role,
        "provinces": list(chosen),
        "hash": _hasher.hash(password),
        "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write(file, users)
    return new


def remove(home: Home, name: str) -> None:
    file = path(home)
    users = _read(file)
    if name not in users:
        raise UsersError(f"no user {name!r} in {file}")
    del users[name]
    _write(file, users)


def listed(home: Home) -> list[User]:
    """Every user, by name, without their hashes."""
    return [_user(n, e) for n, e in sorted(_read(path(home)).items())]


def verify(home: Home, name: str, password: str) -> Viewer | None:
    """The viewer for a right name and password, else None (never says which was wrong)."""
    entry = _read(path(home)).get(name)
    hashed = entry.get("hash") if isinstance(entry, dict) else None
    try:
        _hasher.verify(hashed if isinstance(hashed, str) else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if entry is None:
        return None
    user = _user(name, entry)
    try:
        check_role(user.role, user.provinces)
    except AccessError:
        return None  # a hand-edited entry with a role that no longer checks: no access
    return user.viewer()


def current(home: Home, name: str) -> Viewer | None:
    """The viewer a signed-in local user is now (None once removed or made unusable), so a
    removed user's open session ends at its next rerun and a changed role applies at once."""
    entry = _read(path(home)).get(name)
    if not isinstance(entry, dict):
        return None
    user = _user(name, entry)
    try:
        check_role(user.role, user.provinces)
    except AccessError:
        return None
    return user.viewer()
