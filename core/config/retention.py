"""``[retention]``: how many days of each audit table a run keeps (pruning is
``kpiwatch/retention.py``; docs/retention.md says why the defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Section

DEFAULT_DAYS = 400
"""Any 13 consecutive calendar months span at most 397 days: a month compared with the
same month a year before, and every month between, stay in the audit trail."""


@dataclass(frozen=True)
class RetentionSettings:
    """Days to keep; 0 keeps everything (pruning off for that table)."""

    dq_results_days: int = DEFAULT_DAYS
    runs_days: int = DEFAULT_DAYS
    alerts_days: int = DEFAULT_DAYS
    access_log_days: int = DEFAULT_DAYS

    @classmethod
    def from_config(cls, config: Section) -> RetentionSettings:
        """``[retention]``: whole numbers of days (0: keep forever); a bad one is refused."""
        section = config.table("retention")
        settings = cls(
            section.integer("dq_results_days", DEFAULT_DAYS),
            section.integer("runs_days", DEFAULT_DAYS),
            section.integer("alerts_days", DEFAULT_DAYS),
            section.integer("access_log_days", DEFAULT_DAYS),
        )
        section.reject_unknown()
        return settings
