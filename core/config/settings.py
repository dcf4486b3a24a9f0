"""The whole of ``kpiwatch.toml`` as ``kpiwatch run`` uses it: every table read and
checked at once, so a typo anywhere fails the run (exit 2) before it touches the warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import CONFIG_FILE, read_config
from core.config.alerts import AlertSettings
from core.config.ingest import IngestSettings
from core.config.quality import QualitySettings
from core.config.readers import ReaderSettings
from core.config.retention import RetentionSettings
from core.config.severity import SeveritySettings
from core.home import Home


@dataclass(frozen=True)
class Settings:
    quality: QualitySettings
    alerts: AlertSettings
    publish_deliveries: bool = True
    ingest: IngestSettings = field(default_factory=IngestSettings)
    severity: SeveritySettings = field(default_factory=SeveritySettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)


def load_settings(home: Home) -> Settings:
    """Read and check ``<home>/kpiwatch.toml`` (raises ConfigError naming the key)."""
    config = read_config(home.root / CONFIG_FILE)
    quality = QualitySettings.from_config(config)
    severity = SeveritySettings.from_config(config)
    alerts = AlertSettings.from_config(config)
    ingest_settings = IngestSettings.from_config(config)
    kept = RetentionSettings.from_config(config)
    run = config.table("run")
    publish_deliveries = run.boolean("publish_deliveries", True)
    run.reject_unknown()
    ReaderSettings.from_config(config)  # [sql]: read by every reader, checked here too
    config.reject_unknown()
    return Settings(quality, alerts, publish_deliveries, ingest_settings, severity, kept)
