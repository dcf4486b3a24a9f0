"""The key of the caller-number hash: personal data never reaches the warehouse in clear.

``caller_number`` is stored as ``sha256(key || '|' || number)``: the same caller always
hashes the same (so repeat callers can be counted), while without the key nobody can
test a guessed number against the warehouse. The key comes from ``KPIWATCH_PII_KEY``;
without it, one random key is made once and kept in ``<home>/secrets/pii.key`` (mode
0600). Losing or changing the key makes new hashes differ from old ones: keep it with
the warehouse's backups, never inside the warehouse.
"""

from __future__ import annotations

import os
import secrets

from core.home import Home

ENV = "KPIWATCH_PII_KEY"


def pii_key(home: Home) -> str:
    if key := os.environ.get(ENV):
        return key
    path = home.secrets / "pii.key"
    if not path.exists():
        home.secrets.mkdir(parents=True, exist_ok=True)
        os.chmod(home.secrets, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
