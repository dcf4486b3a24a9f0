"""The KPIs the generated data really has: an independent reference for the warehouse.

The generator knows every version it exported, so it can compute, straight from
docs/standard.md and with none of the warehouse's code, what ``marts.kpi_compliance`` must
publish for each month × province × KPI × segment. Two implementations that agree to
1e-9 are the strongest evidence either is right; the manifest's ``expected_breaches``
are the non-compliant rows found here, each tied to the incident that planted it.

Hall and hotline volumes are reduced to additive counts per province as they are
generated (national figures are sums of counts, never averages of rates); repair,
fault and installation tickets are kept as their latest version, because the age of an
item open at a period end depends on the source's as-of time, known only at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

import polars as pl

from core.contract import NATIONAL_CODE
from generator.reference import SEEDS

LOCAL = "Asia/Shanghai"
HALL_STAFFED = ["own_hall", "brand_store_3g"]
VIP = ["silver", "gold", "diamond", "supreme"]
NO_WAIT = ["gold", "diamond", "supreme"]
TICKETS = {
    "mobile_repairs": ("ticket_id", "reported_at", "restored_at", 3_600_000.0, 60.0),
    "broadband_faults": ("ticket_id", "reported_at", "restored_at", 3_600_000.0, 60.0),
    "install_orders": ("order_id", "accepted_at", "completed_at", 86_400_000.0, 1440.0),
}
"""key, start, end, milliseconds per unit, suspended minutes per unit."""


@cache
def catalog() -> pl.DataFrame:
    return pl.read_csv(
        SEEDS / "kpi_catalog.csv",
        schema_overrides={"effective_from": pl.Date, "effective_to": pl.Date},
    ).filter(~pl.col("is_information_only"))


def _month(col: str) -> pl.Expr:
    # Asia/Shanghai is UTC+8 all year (no daylight saving since 1991): adding eight hours
    # is the local time, four times cheaper than a time-zone conversion per row.
    local = pl.col(col).dt.replace_time_zone(None) + pl.duration(hours=8)
    return local.dt.truncate("1mo").dt.date()


def _ms(end: str, start: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_milliseconds()


def _local_midnight(day: date) -> pl.Expr:
    local = pl.lit(day).cast(pl.Datetime("ms")).dt.replace_time_zone(LOCAL)
    return local.dt.convert_time_zone("UTC")


def _limit(cat: pl.DataFrame, kpi: str) -> float:
    return float(cat.filter(pl.col("kpi_id") == kpi)["case_limit"][0])


@dataclass
class Truth:
    """Accumulates one province at a time; ``compliance()`` gives the published table."""

    counts: list[pl.DataFrame] = field(default_factory=list)
    """month, province_code, kpi_id, segment, n, n_ok (share KPIs)."""
    sums: list[pl.DataFrame] = field(default_factory=list)
    """month, province_code, kpi_id, segment, numerator, denominator (connection rates)."""
    hours: list[pl.DataFrame] = field(default_factory=list)
    """hotline traffic and answered calls per local hour and province."""
    tickets: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    as_of: dict[str, int] = field(default_factory=dict)
    cat: pl.DataFrame = field(default_factory=catalog)

    def add(self, source: str, versions: pl.DataFrame) -> None:
        getattr(self, f"_add_{source}")(versions)

    def merge(self, other: Truth) -> None:
        """Take in another part's reductions (an export job's, from another process)."""
        self.counts += other.counts
        self.sums += other.sums
        self.hours += other.hours
        for source, frames in other.tickets.items():
            self.tickets.setdefault(source, []).extend(frames)
        for source, ms in other.as_of.items():
            self.as_of[source] = max(self.as_of.get(source, 0), ms)

    def _count_shares(self, frame: pl.DataFrame, kpis: list[tuple[str, pl.Expr, pl.Expr]]) -> None:
        """For each (kpi, when, ok): rows where ``when`` holds, and of those where ``ok``
        does, per month and province -- all KPIs of a source in one grouped pass."""
        aggs = []
        for i, (_, when, ok) in enumerate(kpis):
            counted = when.fill_null(False)
            aggs += [
                counted.sum().alias(f"n{i}"),
                (counted & ok).fill_null(False).sum().alias(f"k{i}"),
            ]
        grouped = frame.group_by("month", "province_code").agg(aggs)
        for i, (kpi, _, _) in enumerate(kpis):
            self.counts.append(
                grouped.select(
                    "month",
                    "province_code",
                    pl.col(f"n{i}").alias("n"),
                    pl.col(f"k{i}").alias("n_ok"),
                    pl.lit(kpi).alias("kpi_id"),
                    pl.lit("all").alias("segment"),
                ).filter(pl.col("n") > 0)
            )

    def _add_hall_tickets(self, v: pl.DataFrame) -> None:
        cat = self.cat
        v = v.filter(pl.col("hall_type").is_in(HALL_STAFFED)).with_columns(
            _month("taken_at").alias("month"),
            _ms("called_at", "taken_at").alias("wait_ms"),
            _ms("finished_at", "called_at").alias("handle_ms"),
        )
        served = pl.col("called_at").is_not_null()
        tier = pl.col("customer_tier")
        wait = pl.col("wait_ms")
        self._count_shares(v, [
            ("hall_wait_15m", served & pl.col("is_3g"),
             wait <= _limit(cat, "hall_wait_15m") * 1000),
            ("hall_handle_10m", served & pl.col("finished_at").is_not_null(),
             pl.col("handle_ms") <= _limit(cat, "hall_handle_10m") * 1000),
            ("hall_vip_wait_5m", served & pl.col("is_3g") & tier.is_in(VIP),
             wait <= _limit(cat, "hall_vip_wait_5m") * 1000),
            ("hall_appointment_no_wait", served & pl.col("is_appointment") & tier.is_in(NO_WAIT),
             wait <= _limit(cat, "hall_appointment_no_wait") * 1000),
        ])  # fmt: skip

    def _add_hotline_calls(self, v: pl.DataFrame) -> None:
        v = v.with_columns(_month("queued_at").alias("month"))
        kpis = []
        for kpi, queue in (("hotline_sl20", "standard"), ("hotline_vip_sl20", "vip")):
            within = pl.col("answered_at").is_not_null() & (
                _ms("answered_at", "queued_at") <= _limit(self.cat, kpi) * 1000
            )
            kpis.append((kpi, pl.col("queue") == queue, within))
        self._count_shares(v, kpis)
        # Clock hours by integer arithmetic (a whole-hour zone: a local hour is a UTC hour).
        hour = pl.col("queued_at").dt.epoch("ms") // 3_600_000
        counts = v.group_by("month", "province_code", hour.alias("hour")).agg(
            pl.len().alias("calls"), pl.col("answered_at").count().alias("answered")
        )
        self.hours.append(
            counts.with_columns(
                (pl.col("hour") * 3_600_000)
                .cast(pl.Datetime("ms", "UTC"))
                .dt.convert_time_zone(LOCAL)
                .alias("hour")
            )
        )

    def _add_network_calls(self, v: pl.DataFrame) -> None:
        latest = v.sort("updated_at", maintain_order=True).unique(
            ["stat_hour", "city_code", "network"], keep="last", maintain_order=True
        )
        self.sums.append(
            latest.group_by(_month("stat_hour").alias("month"), "province_code", "network")
            .agg(
                pl.col("connected").sum().alias("numerator"),
                pl.col("attempts").sum().alias("denominator"),
            )
            .with_columns(
                pl.concat_str(pl.col("network"), pl.lit("_connect_rate")).alias("kpi_id"),
                pl.lit("all").alias("segment"),
            )
            .drop("network")
        )

    def _add_tickets(self, source: str, v: pl.DataFrame) -> None:
        key, start, end = TICKETS[source][:3]
        wanted = [key, start, end, "suspended_minutes", "updated_at", "province_code",
                  "area_type", "cause", "service"]  # fmt: skip
        latest = (
            v.select(c for c in wanted if c in v.columns)
            .sort("updated_at", maintain_order=True)
            .unique(key, keep="last", maintain_order=True)
        )
        self.tickets.setdefault(source, []).append(latest)
        newest = int(v["updated_at"].max().timestamp() * 1000) if v.height else 0
        self.as_of[source] = max(self.as_of.get(source, 0), newest)

    def _add_mobile_repairs(self, v: pl.DataFrame) -> None:
        self._add_tickets("mobile_repairs", v)

    def _add_broadband_faults(self, v: pl.DataFrame) -> None:
        self._add_tickets("broadband_faults", v)

    def _add_install_orders(self, v: pl.DataFrame) -> None:
        self._add_tickets("install_orders", v)

    # ------------------------------------------------------------------ the result

    def compliance(self, months: list[date]) -> pl.DataFrame:
        """One row per month × province (and nation) × KPI × segment, as the mart must."""
        parts = [self._shares(), self._rates(), self._dark_hours()]
        for source in TICKETS:
            if source in self.tickets:
                parts.append(self._durations(source, months))
        rows = pl.concat([p for p in parts if p.height], how="diagonal_relaxed")
        return self._judge(rows.filter(pl.col("period_month").is_in(months)))

    def _with_nation(self, frame: pl.DataFrame, sums: list[str]) -> pl.DataFrame:
        keys = [c for c in frame.columns if c not in sums and c != "province_code"]
        nation = frame.group_by(keys).agg(pl.col(sums).sum())
        return pl.concat(
            [frame, nation.with_columns(pl.lit(NATIONAL_CODE).alias("province_code"))],
            how="diagonal",
        )

    def _shares(self) -> pl.DataFrame:
        if not self.counts:
            return pl.DataFrame()
        counts = self._with_nation(pl.concat(self.counts), ["n", "n_ok"])
        return counts.select(
            pl.col("month").alias("period_month"), "province_code", "kpi_id", "segment",
            (pl.col("n_ok") / pl.col("n")).alias("value"),
            pl.col("n").alias("sample_size"),
            (pl.col("n") - pl.col("n_ok")).alias("breach_count"),
        ).filter(pl.col("sample_size") > 0)  # fmt: skip

    def _rates(self) -> pl.DataFrame:
        if not self.sums:
            return pl.DataFrame()
        sums = self._with_nation(pl.concat(self.sums), ["numerator", "denominator"])
        return sums.select(
            pl.col("month").alias("period_month"), "province_code", "kpi_id", "segment",
            (pl.col("numerator") / pl.col("denominator")).alias("value"),
            pl.col("denominator").alias("sample_size"),
            pl.lit(None, pl.Int64).alias("breach_count"),
        ).filter(pl.col("sample_size") > 0)  # fmt: skip

    def _dark_hours(self) -> pl.DataFrame:
        if not self.hours:
            return pl.DataFrame()
        hours = self._with_nation(pl.concat(self.hours), ["calls", "answered"])
        dark = (pl.col("calls") > 0) & (pl.col("answered") == 0)
        return (
            hours.group_by("month", "province_code")
            .agg(dark.sum().alias("dark"), (pl.col("calls") > 0).sum().alias("lit"))
            .select(
                pl.col("month").alias("period_month"),
                "province_code",
                pl.lit("hotline_24x7_dark_hours").alias("kpi_id"),
                pl.lit("all").alias("segment"),
                pl.col("dark").cast(pl.Float64).alias("value"),
                pl.col("lit").alias("sample_size"),
                pl.col("dark").alias("breach_count"),
            )
        )

    def _durations(self, source: str, months: list[date]) -> pl.DataFrame:
        _key, start, end, unit_ms, susp_per_unit = TICKETS[source]
        # Each part holds the latest version of its own tickets (ids name their province and
        # month, so no two parts share one), and the parts come in a fixed order (job by
        # job, month by month): a mean's last bits depend on the order it adds in, and the
        # truth must be the same bytes for a seed.
        t = pl.concat(self.tickets[source]).rechunk()
        if source == "mobile_repairs":
            t = t.filter(pl.col("cause").fill_null("other") != "terminal")
            segments, kpi = pl.lit("all"), "mobile_repair_hours"
        elif source == "broadband_faults":
            segments, kpi = pl.col("area_type"), "broadband_repair_hours"
        else:
            t = t.filter(pl.col("service") == "fixed_phone")
            segments, kpi = pl.lit("all"), "install_days"
        t = t.with_columns(
            segments.alias("segment"),
            pl.col("suspended_minutes").fill_null(0).alias("suspended_minutes"),
        )
        as_of = pl.lit(self.as_of[source]).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC")
        suspended = pl.col("suspended_minutes") / susp_per_unit
        ceilings = self.cat.filter(pl.col("kpi_id") == f"{kpi}_max").select(
            "segment", pl.col("threshold").alias("ceiling"), "effective_from", "effective_to"
        )
        out = []
        for month in months:
            p_start = _local_midnight(month)
            nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            p_end = _local_midnight(nxt)
            measured_at = pl.min_horizontal(p_end, as_of)
            done = t.filter((pl.col(end) >= p_start) & (pl.col(end) < p_end)).with_columns(
                (_ms(end, start) / unit_ms - suspended).alias("duration"),
                pl.lit(False).alias("open"),
            )
            still_open = t.filter(
                (pl.col(start) < measured_at)
                & (pl.col(end).is_null() | (pl.col(end) >= measured_at))
            ).with_columns(
                ((measured_at - pl.col(start)).dt.total_milliseconds() / unit_ms - suspended).alias(
                    "duration"
                ),
                pl.lit(True).alias("open"),
            )
            ceiling = ceilings.filter(
                (pl.col("effective_from") <= month)
                & (pl.col("effective_to").is_null() | (pl.col("effective_to") >= month))
            ).select("segment", "ceiling")
            both = pl.concat([done, still_open], how="diagonal_relaxed").join(ceiling, on="segment")
            both = pl.concat(
                [both, both.with_columns(pl.lit(NATIONAL_CODE).alias("province_code"))]
            )
            over = (pl.col("duration") > pl.col("ceiling")).sum()
            completed = both.filter(~pl.col("open"))
            avg = completed.group_by("province_code", "segment", maintain_order=True).agg(
                pl.col("duration").mean().alias("value"),
                pl.len().alias("sample_size"),
                over.alias("breach_count"),
            )
            mx = both.group_by("province_code", "segment", maintain_order=True).agg(
                pl.col("duration").max().alias("value"),
                pl.len().alias("sample_size"),
                over.alias("breach_count"),
            )
            for frame, suffix in ((avg, "avg"), (mx, "max")):
                out.append(
                    frame.with_columns(
                        pl.lit(month).alias("period_month"),
                        pl.lit(f"{kpi}_{suffix}").alias("kpi_id"),
                    )
                )
        return pl.concat(out, how="diagonal_relaxed")

    def _judge(self, rows: pl.DataFrame) -> pl.DataFrame:
        versions = self.cat.select(
            "kpi_id",
            "segment",
            "comparator",
            "threshold",
            "effective_from",
            "effective_to",
            "catalog_version",
        )
        judged = rows.join(versions, on=["kpi_id", "segment"]).filter(
            (pl.col("effective_from") <= pl.col("period_month"))
            & (
                pl.col("effective_to").is_null()
                | (pl.col("effective_to") >= pl.col("period_month"))
            )
        )
        margin = (
            pl.when(pl.col("comparator") == ">=")
            .then(pl.col("value") - pl.col("threshold"))
            .otherwise(pl.col("threshold") - pl.col("value"))
        )
        return (
            judged.with_columns(margin.alias("margin"))
            .with_columns((pl.col("margin") >= 0).alias("is_compliant"))
            .select(
                "period_month",
                "province_code",
                "kpi_id",
                "segment",
                "value",
                "threshold",
                "comparator",
                "sample_size",
                "breach_count",
                "is_compliant",
                "margin",
                "catalog_version",
            )
            .sort("period_month", "province_code", "kpi_id", "segment")
        )
