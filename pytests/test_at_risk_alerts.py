"""at_risk alerts: raised from marts.kpi_at_risk above the configured probability, routed
like breaches, announced once per province × KPI × segment × month, resolved when the risk
falls or the month ends. Real webhook receivers on 127.0.0.1; no warehouse build (the mart
is written as a build would publish it; projecting is dbt's job, tested there)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
from receivers import HttpReceiver
from test_alerts import T0, cycle, make_home

from core.home import Home
from kpiwatch.pipeline import load_settings

NOV, DEC = date(2026, 11, 1), date(2026, 12, 1)


def risk(month: date, province: str, kpi: str, probability: float, reliability: str = "reliable",
         lost: bool = False, unit: str = "share") -> tuple:  # fmt: skip
    """A kpi_at_risk row (only the columns the alerts read)."""
    comparator, threshold = (">=", 0.9) if unit == "share" else ("<=", 48.0)
    value = 0.85 if unit == "share" else 50.0
    return (month, province, kpi, "all", value, value, value - 0.03, value + 0.03, probability,
            lost, threshold, comparator, unit, 500, 20, 30, 0, reliability)  # fmt: skip


def write_at_risk(home: Home, rows: list[tuple]) -> None:
    with duckdb.connect(str(home.work)) as con:
        con.execute(
            "create or replace table marts.kpi_at_risk (period_month date, province_code "
            "varchar, kpi_id varchar, segment varchar, month_to_date_value double, "
            "projected_value double, projected_low double, projected_high double, "
            "probability_non_compliant double, is_already_lost boolean, threshold double, "
            "comparator varchar, unit varchar, sample_size bigint, days_observed integer, "
            "days_in_month integer, open_items_crossing_count bigint, reliability varchar)"
        )
        con.executemany(f"insert into marts.kpi_at_risk values ({', '.join('?' * 18)})", rows)


RISKY = [
    risk(NOV, "440000", "hall_wait_15m", 0.93),
    risk(NOV, "110000", "mobile_repair_hours_max", 1.0, "already_lost", True, "hours"),
    risk(NOV, "650000", "hotline_sl20", 0.99, "too_early"),  # not trusted yet: silent
    risk(NOV, "110000", "install_days_avg", 0.5),  # below the threshold
]


def test_at_risk_alerts_are_routed_like_breaches_announced_once_and_resolved(
    tmp_path: Path, http: HttpReceiver
) -> None:
    home = make_home(
        tmp_path,
        f"""
        [alerts]
        at_risk_probability = 0.9
        [channels.breach_hook]
        type = "webhook"
        url = "{http.url("breaches")}"
        [channels.data_hook]
        type = "webhook"
        url = "{http.url("data")}"
        [[routes]]
        name = "breaches"
        categories = ["breach"]
        channels = ["breach_hook"]
        [[routes]]
        name = "data"
        categories = ["data"]
        channels = ["data_hook"]
        """,
    )
    settings = load_settings(home).alerts
    assert settings.at_risk_probability == 0.9
    write_at_risk(home, RISKY)

    def warnings_at(hours: float, channel: str = "breaches") -> dict[str, str]:
        http.requests.clear()
        cycle(home, settings, T0 + timedelta(hours=hours))
        sent = [a for r in http.at(channel) for a in r.json["alerts"]]
        return {a["subject"]: a["kind"] for a in sent if a["category"] == "at_risk"}

    lost = "at_risk:110000:mobile_repair_hours_max:all:2026-11"
    guangdong = "at_risk:440000:hall_wait_15m:all:2026-11"
    assert warnings_at(0) == {guangdong: "new", lost: "new"}
    digest = http.at("breaches")[0].json["text"]
    assert "93%" in digest and "本月已无法达标 the month is already lost" in digest
    assert warnings_at(0.5, "data") == {}  # a data-only route gets none
    # Hourly runs on the same projection, a day later too: no repeat (no reminders).
    assert warnings_at(1) == {}
    assert warnings_at(30) == {}
    # The risk falls in Guangdong: resolved once.
    write_at_risk(home, [risk(NOV, "440000", "hall_wait_15m", 0.4), *RISKY[1:]])
    assert warnings_at(31) == {guangdong: "resolved"}
    # December: November's projection is gone, so its open warning resolves (month ended).
    write_at_risk(home, [risk(DEC, "440000", "hall_wait_15m", 0.2)])
    assert warnings_at(32) == {lost: "resolved"}
    assert "月份已结束" in http.at("breaches")[0].json["text"]
    assert warnings_at(33) == {}
