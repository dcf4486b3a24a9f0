"""``[sql]``: the folders readers (``kpiwatch sql``, the dashboard, ``kpiwatch.connect()``)
may read besides the published warehouse."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.config import CONFIG_FILE, ConfigError, Section, read_config
from core.home import Home

SECTION = "sql"
"""The kpiwatch.toml table: ``[sql] allowed_paths = ["/srv/exports"]``."""


@dataclass(frozen=True)
class ReaderSettings:
    """What an operator sets for readers: the folders they may read besides the warehouse."""

    folders: tuple[Path, ...] = ()

    @classmethod
    def from_config(cls, config: Section) -> ReaderSettings:
        """``[sql] allowed_paths``: absolute folders (``~`` expanded); ConfigError otherwise.

        A relative folder is refused rather than guessed (relative to which directory: the
        shell's, the dashboard service's?). A folder that does not exist is kept: a share
        may be mounted later, and until then nothing is found there.
        """
        section = config.table(SECTION)
        folders = section.texts("allowed_paths")
        section.reject_unknown()
        chosen = []
        for text in folders:
            folder = Path(text).expanduser()
            if not folder.is_absolute():
                raise ConfigError(
                    f"{config.path or CONFIG_FILE}: {SECTION}.allowed_paths: {text!r} is not "
                    "an absolute folder (write it as /srv/exports)"
                )
            chosen.append(Path(os.path.normpath(folder)))
        return cls(tuple(dict.fromkeys(chosen)))

    @classmethod
    def load(cls, home: Home) -> ReaderSettings:
        return cls.from_config(read_config(home.root / CONFIG_FILE))
