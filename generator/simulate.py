"""What really happened: the six sources' events for one province and month, vectorised.

Each ``simulate_<source>`` draws the events *created* in one month of the window (a
"chunk": its own random stream, see ``seeds.py``) and returns the *versions* a
provincial system exports — one row per ticket for events that never change (hall
tickets, hotline calls), one per hour and city for network counters, and for repairs
and installations an open version when the ticket is created and a closed one when it
is restored. ``export_ms`` is when the
version was written; the delivery module turns it into a daily file.

Volumes (``--scale 1.0`` is one national operator, per day, nationwide):
hall tickets 800 000, hotline calls to a human agent 1 200 000, local call attempts
600 million mobile and 60 million fixed (counted per city-hour, so rows do not scale),
mobile fault tickets 60 000, broadband fault tickets 50 000, installation orders 40 000.
A province gets its share of the 2020 census population; a floor per province and day
keeps small provinces' monthly samples meaningful at demo scales; ``season.py`` bends
daily volumes over the year. Versions of a chunk's tickets may be exported in a later
month (a fault reported on the 30th, restored on the 2nd): the export job carries them.

Text columns are gathered from small polars Series by integer codes: building millions
of Python or NumPy strings was most of the generator's time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from generator import incidents as inc
from generator import season
from generator.reference import Province, threshold
from generator.seeds import SETUP, rng_for
from generator.timeline import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    Month,
    Window,
    lognormal_hours,
    times_in_days,
)

NATIONAL_PER_DAY = {
    "hall_tickets": 800_000,
    "hotline_calls": 1_200_000,
    "mobile_repairs": 60_000,
    "broadband_faults": 50_000,
    "install_orders": 40_000,
}
NATIONAL_ATTEMPTS_PER_DAY = {"mobile": 600_000_000, "fixed": 60_000_000}
FLOOR_PER_DAY = {
    "hall_tickets": 40,
    "hotline_calls": 60,
    "mobile_repairs": 6,
    "broadband_faults": 8,
    "install_orders": 8,
}
NATIONAL_POPULATION = 1_411_778_724
HALL_TICKETS_PER_HALL_DAY = 180
WARM_UP_DAYS = {"mobile_repairs": 8, "broadband_faults": 8, "install_orders": 25}
"""Tickets opened before the window, so its first days see restorations too."""

# Shapes of demand (Monday first; hours 0-23).
HALL_WEEKDAY = np.array([1.10, 1.0, 0.95, 0.95, 1.05, 1.20, 0.90])
HOTLINE_WEEKDAY = np.array([1.15, 1.05, 1.0, 1.0, 1.0, 0.90, 0.85])
FLAT_WEEKDAY = np.ones(7)
HALL_HOURLY = np.zeros(24)
HALL_HOURLY[9:18] = [0.08, 0.13, 0.14, 0.10, 0.09, 0.11, 0.13, 0.12, 0.10]
HOTLINE_HOURLY = np.array(
    [3, 2, 1, 1, 1, 2, 4, 8, 14, 18, 19, 17, 13, 14, 17, 18, 16, 14, 13, 15, 16, 13, 9, 5],
    dtype=float,
)
HOTLINE_PEAK_HOURS = np.array([9, 10, 11, 14, 15, 16, 19, 20])
CALLS_HOURLY = np.array(
    [2, 1, 1, 1, 1, 2, 4, 7, 10, 11, 11, 10, 9, 9, 10, 10, 10, 10, 9, 9, 8, 7, 5, 3],
    dtype=float,
)
DAYTIME_HOURLY = np.array(
    [1, 1, 1, 1, 1, 1, 2, 5, 9, 11, 11, 10, 8, 9, 10, 10, 9, 8, 7, 6, 5, 4, 2, 1],
    dtype=float,
)
INSTALL_HOURLY = np.zeros(24)
INSTALL_HOURLY[8:20] = [4, 9, 12, 12, 8, 8, 11, 11, 10, 7, 5, 3]

BUSINESS_TYPES = np.array(
    [
        "入网/装机",
        "过户",
        "改号/换号",
        "移机",
        "销户/拆机",
        "停机保号",
        "开机",
        "复机",
        "开/关国际漫游",
        "补(换)卡",
        "话费查询",
        "话费缴纳",
        "业务咨询/投诉",
        "详单打印",
        "障碍申告",
        "积分回馈",
        "产品订购和变更",
        "3G业务办理",
    ]
)
BUSINESS_WEIGHTS = np.array([10, 2, 2, 3, 3, 2, 2, 2, 2, 6, 8, 14, 9, 4, 4, 2, 8, 17], dtype=float)
UNICOM_PREFIXES = np.array([130, 131, 132, 155, 156, 166, 175, 176, 185, 186], dtype=np.int64)
TIERS = np.array(["standard", "silver", "gold", "diamond", "supreme"])
VIP_TIER_SHARES = np.array([0.0, 0.06, 0.03, 0.012, 0.003])


@dataclass(frozen=True)
class Context:
    window: Window
    province: Province
    scale: float
    incidents: list[inc.Incident]
    month: Month
    """The chunk: events created in this month's covered days are drawn."""
    seed: int = 7

    @property
    def first_day(self) -> int:
        return self.month.first_day

    @property
    def days(self) -> int:
        return self.month.covered_days

    @property
    def t0(self) -> int:
        return self.window.t0 + self.first_day * DAY_MS

    @property
    def t_end(self) -> int:
        return self.t0 + self.days * DAY_MS

    @property
    def is_first(self) -> bool:
        return self.first_day == 0

    def dates(self, before: int = 0) -> list[date]:
        return season.days_from(self.window.day(self.first_day - before), self.days + before)

    def weekdays(self, before: int = 0) -> np.ndarray:
        return (np.arange(self.first_day - before, self.first_day + self.days)
                + self.window.start.weekday()) % 7  # fmt: skip

    def per_day(self, source: str) -> float:
        share = self.province.population / NATIONAL_POPULATION
        return max(FLOOR_PER_DAY[source], NATIONAL_PER_DAY[source] * self.scale * share)

    def during(self, name: str) -> list[inc.Incident]:
        return inc.active(self.incidents, name, self.province.code)

    def starting(self, name: str) -> list[inc.Incident]:
        """Incidents that begin in this chunk (their extra events belong to it alone)."""
        return [i for i in self.during(name) if self.t0 <= i.start_ms < self.t_end]

    def ceiling(self, kpi_id: str, segment: str = "all") -> float:
        return threshold(kpi_id, self.window.day(self.first_day), segment)

    def setup_rng(self, source: str) -> np.random.Generator:
        """The province's fixed set-up (its halls): the same stream in every month."""
        return rng_for(self.seed, source, self.province.code, SETUP)


def _ms(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.int64)).cast(pl.Datetime("ms", "UTC"))


def _maybe_ms(values: np.ndarray, present: np.ndarray) -> pl.Series:
    out = pl.Series(np.where(present, values, 0).astype(np.int64))
    return (
        pl.select(pl.when(pl.Series(present)).then(out)).to_series().cast(pl.Datetime("ms", "UTC"))
    )


def pick(values: np.ndarray | list[str] | tuple[str, ...], idx: np.ndarray) -> pl.Series:
    """``values[idx]`` as a polars string column, gathered without Python strings."""
    return pl.Series(list(values), dtype=pl.String).gather(idx.astype(np.int64))


def _city_idx(ctx: Context, rng: np.random.Generator, n: int) -> np.ndarray:
    codes = ctx.province.city_codes
    return rng.choice(len(codes), size=n, p=np.array(ctx.province.city_weights))


def _cities(ctx: Context, rng: np.random.Generator, n: int) -> pl.Series:
    return pick(ctx.province.city_codes, _city_idx(ctx, rng, n))


def _rural(ctx: Context, rng: np.random.Generator, n: int, rural_boost: float = 1.0) -> np.ndarray:
    rural = min(0.95, (1 - ctx.province.urban_share) * rural_boost)
    return rng.random(n) < rural


AREAS = ("urban", "rural")


def _area(rural: np.ndarray) -> pl.Series:
    return pick(AREAS, rural.astype(np.int64))


def _day_strings(ctx: Context, before: int = 0) -> list[str]:
    return [d.strftime("%Y%m%d") for d in ctx.dates(before)]


def _group_position(group: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal (sorted) ``group`` values."""
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, lengths)


# --------------------------------------------------------------------------- hall tickets


@dataclass(frozen=True)
class Halls:
    """A province's halls: fixed for the whole window, whatever month is drawn."""

    city: np.ndarray
    """Index into the province's city codes."""
    rural: np.ndarray
    type_idx: np.ndarray
    size: np.ndarray
    counters: np.ndarray
    ids: pl.Series


HALL_TYPES = ("own_hall", "brand_store_3g", "self_service")


def _halls(ctx: Context) -> Halls:
    rng = ctx.setup_rng("hall_tickets")
    n_halls = max(2, round(ctx.per_day("hall_tickets") / HALL_TICKETS_PER_HALL_DAY))
    city = _city_idx(ctx, rng, n_halls)
    rural = ~(rng.random(n_halls) < min(0.9, ctx.province.urban_share + 0.15))
    type_idx = rng.choice(3, n_halls, p=[0.55, 0.27, 0.18])
    type_idx[0] = 0  # every province has an own hall, so its staffed-hall KPIs are measured
    size = rng.lognormal(0, 0.35, n_halls)
    size *= ctx.per_day("hall_tickets") / size.sum()
    service_min = 5.0
    # Staffing: enough counters for the hall's expected peak hour at 75 % utilisation.
    peak_servers = size * HALL_HOURLY.max() * service_min / 60
    counters = np.maximum(2, np.ceil(peak_servers / 0.75)).astype(int)
    seq_in_city = np.zeros(n_halls, dtype=int)
    for c in np.unique(city):
        mask = city == c
        seq_in_city[mask] = np.arange(1, mask.sum() + 1)
    codes = ctx.province.city_codes
    ids = pl.Series([f"H{codes[c]}{s:03d}" for c, s in zip(city, seq_in_city, strict=True)])
    return Halls(city, rural, type_idx, size, counters, ids)


UNDERSTAFFED_SHARE = 0.7
"""Counters a hall_understaffed incident leaves, as a share of the day's expected demand."""


def simulate_hall_tickets(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    halls = _halls(ctx)
    n_halls = halls.size.size
    days = ctx.days
    open_hours = np.count_nonzero(HALL_HOURLY)
    service_min = 5.0

    # Arrivals per hall and day, in opening hours, shaped by weekday and season.
    daily = HALL_WEEKDAY[ctx.weekdays()] * season.demand("hall_tickets", ctx.dates())
    per_hall_day = rng.poisson(halls.size[:, None] * daily[None, :])
    day_idx = np.repeat(np.tile(np.arange(days), n_halls), per_hall_day.ravel())
    hall_idx = np.repeat(np.repeat(np.arange(n_halls), days), per_hall_day.ravel())
    n = hall_idx.size
    hour = rng.choice(24, size=n, p=HALL_HOURLY / HALL_HOURLY.sum())
    taken = ctx.t0 + day_idx * DAY_MS + hour * HOUR_MS + rng.integers(0, HOUR_MS, n)
    order = np.lexsort((taken, hall_idx, day_idx))
    hall_idx, day_idx, taken = hall_idx[order], day_idx[order], taken[order]
    number = _group_position(day_idx * n_halls + hall_idx) + 1

    tier_idx = np.searchsorted(np.cumsum(VIP_TIER_SHARES), rng.random(n), side="right").clip(0, 4)
    tier_idx = np.where(rng.random(n) < VIP_TIER_SHARES.sum(), tier_idx, 0)
    is_vip = tier_idx != 0
    no_wait_tier = tier_idx >= 2
    is_appointment = np.where(no_wait_tier, rng.random(n) < 0.25, rng.random(n) < 0.02)
    handle_min = lognormal_hours(rng, n, 4.5, 0.45, 0.5, 60)
    slow = inc.in_incident(taken, ctx.during("hall_slow_system"))
    handle_min = np.where(slow, np.minimum(handle_min * 2.5, 90), handle_min)
    patience = 20 + rng.exponential(60, n)

    # The general queue: a FIFO of c counters, taken as one server c times as fast, its
    # waits by Lindley's recursion -- vectorised over hall-days, looping over positions.
    servers = np.broadcast_to(halls.counters[:, None], (n_halls, days)).astype(float).copy()
    for incident in ctx.during("hall_understaffed"):
        # Counters staffed for UNDERSTAFFED_SHARE of the day's expected demand (weekday and season
        # included: a Spring Festival week has fewer customers, and an incident then must
        # still be short of staff): queues build at peaks. Fewer counters would not do more
        # harm: the impatient leave unserved, and only served tickets count.
        d0 = max(0, (incident.start_ms - ctx.t0) // DAY_MS)
        d1 = min(days, (incident.end_ms - ctx.t0) // DAY_MS)
        if d1 <= d0:
            continue
        demand = halls.size[:, None] * daily[None, d0:d1] / open_hours * service_min / 60
        staffed = halls.type_idx != 2
        servers[staffed, d0:d1] = np.minimum(
            servers[staffed, d0:d1], UNDERSTAFFED_SHARE * demand[staffed]
        )
    queued = ~(is_vip | (is_appointment & no_wait_tier))
    group = day_idx * n_halls + hall_idx
    q_idx = np.flatnonzero(queued)
    q_group = group[q_idx]
    starts = np.searchsorted(q_group, np.arange(n_halls * days))
    position = np.arange(q_idx.size) - starts[q_group]
    width = int(position.max()) + 1 if q_idx.size else 0
    # Grids are (position, hall-day): each step of the recursion reads contiguous rows.
    # An empty slot arrives at +inf (so it waits 0) with patience -1 (so it never stays).
    grid = (width, n_halls * days)
    t_min = np.full(grid, np.inf)
    t_min[position, q_group] = (taken[q_idx] - ctx.t0) / MINUTE_MS
    service = np.zeros(grid)
    service[position, q_group] = handle_min[q_idx] / servers.T.ravel()[q_group]
    patience_grid = np.full(grid, -1.0)
    patience_grid[position, q_group] = patience[q_idx]
    wait_grid = np.empty(grid)
    busy_until = np.full(grid[1], -np.inf)
    done = np.empty(grid[1])
    for k in range(width):
        wait = wait_grid[k]
        np.subtract(busy_until, t_min[k], out=wait)
        np.maximum(wait, 0.0, out=wait)
        np.add(t_min[k], wait, out=done)
        done += service[k]
        np.copyto(busy_until, done, where=wait <= patience_grid[k])
    wait_min = np.zeros(n)
    wait_min[q_idx] = wait_grid[position, q_group]

    vip_closed = inc.in_incident(taken, ctx.during("hall_vip_zone_closed"))
    vip_wait = np.where(vip_closed, rng.uniform(3, 15, n), rng.uniform(0, 4.5, n))
    appt_wait = np.where(vip_closed, rng.uniform(2, 10, n), rng.uniform(0, 50 / 60, n))
    wait_min = np.where(is_vip, vip_wait, wait_min)
    wait_min = np.where(is_appointment & no_wait_tier, appt_wait, wait_min)
    self_service = halls.type_idx[hall_idx] == 2
    wait_min = np.where(self_service, rng.uniform(0, 1, n), wait_min)

    served = (wait_min <= patience) | ~queued
    called = taken + (wait_min * MINUTE_MS).astype(np.int64)
    finished = called + (handle_min * MINUTE_MS).astype(np.int64)
    left_at = taken + (np.minimum(wait_min, patience) * MINUTE_MS).astype(np.int64)
    updated = np.where(served, finished, left_at) + rng.integers(1_000, 300_000, n)
    business = rng.choice(len(BUSINESS_TYPES), n, p=BUSINESS_WEIGHTS / BUSINESS_WEIGHTS.sum())
    is_3g = rng.random(n) < 0.55

    hall_id = halls.ids.gather(hall_idx)
    ticket_id = pl.select(
        pl.concat_str(
            pl.lit(hall_id),
            pl.lit(pick(_day_strings(ctx), day_idx)),
            pl.lit(pl.Series(number)).cast(pl.String).str.zfill(4),
            separator="-",
        )
    ).to_series()
    # Rows in the order tickets were taken (ties: by hall).
    out = np.lexsort((hall_idx, taken))
    g = pl.Series(out)
    return pl.DataFrame(
        {
            "ticket_id": ticket_id.gather(g),
            "hall_id": hall_id.gather(g),
            "hall_type": pick(HALL_TYPES, halls.type_idx[hall_idx[out]]),
            "province_code": pl.Series([ctx.province.code]).gather(np.zeros(n, np.int64)),
            "city_code": pick(ctx.province.city_codes, halls.city[hall_idx[out]]),
            "area_type": _area(halls.rural[hall_idx[out]]),
            "customer_tier": pick(TIERS, tier_idx[out]),
            "business_type": pick(BUSINESS_TYPES, business[out]),
            "is_3g": is_3g[out],
            "is_appointment": is_appointment[out],
            "taken_at": _ms(taken[out]),
            "called_at": _maybe_ms(called[out], served[out]),
            "finished_at": _maybe_ms(finished[out], served[out]),
            "updated_at": _ms(updated[out]),
            "export_ms": updated[out],
        }
    )


# -------------------------------------------------------------------------- hotline calls


def simulate_hotline_calls(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    daily = HOTLINE_WEEKDAY[ctx.weekdays()] * season.demand("hotline_calls", ctx.dates())
    counts = rng.poisson(ctx.per_day("hotline_calls") * daily)
    queued = np.sort(times_in_days(rng, counts, ctx.t0, HOTLINE_HOURLY))
    n = queued.size
    hour = ((queued - ctx.t0) % DAY_MS) // HOUR_MS
    vip_tier = 1 + rng.choice(4, n, p=VIP_TIER_SHARES[1:] / VIP_TIER_SHARES[1:].sum())
    is_vip = rng.random(n) < 0.08
    tier_idx = np.where(is_vip, vip_tier, 0)

    mean_wait = np.where(np.isin(hour, HOTLINE_PEAK_HOURS), 10.0, 6.0)
    night = (hour < 7) | (hour >= 22)
    mean_wait = np.where(night, 3.0, mean_wait)  # idle agents at night: 7x24 means no dark hour
    short = inc.in_incident(queued, ctx.during("hotline_understaffed")) & ~night
    mean_wait = np.where(short, 180.0, mean_wait)
    vip_mean = np.where(inc.in_incident(queued, ctx.during("hotline_vip_misrouted")), 60.0, 4.0)
    mean_wait = np.where(is_vip, vip_mean, mean_wait)
    wait_s = rng.exponential(mean_wait)
    # Outside incidents an agent always picks up before the most impatient caller gives
    # up (40 s): a thin night or a small province must not get a dark hour by chance.
    troubled = short | (is_vip & (vip_mean > 4.0))
    wait_s = np.where(troubled, wait_s, np.minimum(wait_s, 39.0))
    patience_s = 40 + rng.exponential(90, n)
    answered = wait_s <= patience_s
    talk_s = lognormal_hours(rng, n, 180, 0.6, 20, 3600)
    answered_ms = queued + (wait_s * 1000).astype(np.int64)
    ended = np.where(
        answered,
        answered_ms + (talk_s * 1000).astype(np.int64),
        queued + (patience_s * 1000).astype(np.int64),
    )

    pool = max(50, int(n * 0.6))
    numbers = UNICOM_PREFIXES[rng.integers(0, len(UNICOM_PREFIXES), pool)] * 10**8 + rng.integers(
        0, 10**8, pool
    )
    # Repeat callers: a few numbers call often (heavy-tailed draw from the pool).
    # (A Pareto draw of shape 0.6, floored, has Zipf's 1.6 tail at a quarter of the cost.)
    heavy = np.floor(np.minimum(rng.pareto(0.6, n), pool)).astype(np.int64)
    caller = numbers[np.minimum(pool - 1, heavy + rng.integers(0, pool, n) // 3)]
    # Calls are numbered per province and day, in the order they queued.
    day = (queued - ctx.t0) // DAY_MS
    seq = _group_position(day) + 1
    call_id = pl.select(
        pl.concat_str(
            pl.lit("C" + ctx.province.code[:2]),
            pl.lit(pick(_day_strings(ctx), day)),
            pl.lit(pl.Series(seq)).cast(pl.String).str.zfill(8),
        )
    ).to_series()
    return pl.DataFrame(
        {
            "call_id": call_id,
            "province_code": pl.Series([ctx.province.code]).gather(np.zeros(n, np.int64)),
            "caller_number": pl.Series(caller).cast(pl.String),
            "queue": pick(("standard", "vip"), is_vip.astype(np.int64)),
            "customer_tier": pick(TIERS, tier_idx),
            "queued_at": _ms(queued),
            "answered_at": _maybe_ms(answered_ms, answered),
            "ended_at": _ms(ended),
            "updated_at": _ms(ended + rng.integers(1_000, 120_000, n)),
            "export_ms": ended,
        }
    )


# -------------------------------------------------------------------------- network calls


def simulate_network_calls(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    """Counters per city, hour and network; some (city, day) batches are re-sent corrected."""
    cities = np.array(ctx.province.city_codes)
    weights = np.array(ctx.province.city_weights)
    hours = ctx.days * 24
    hour_start = ctx.t0 + np.arange(hours) * HOUR_MS
    hour_of_day = np.arange(hours) % 24
    share = ctx.province.population / NATIONAL_POPULATION
    frames = []
    for network, outage, base, spread in (
        ("mobile", "mobile_core_outage", 0.992, 0.002),
        ("fixed", "fixed_switch_fault", 0.976, 0.004),
    ):
        per_day = NATIONAL_ATTEMPTS_PER_DAY[network] * ctx.scale * share
        lam = np.maximum(
            30.0, per_day * weights[:, None] * (CALLS_HOURLY / CALLS_HOURLY.sum())[hour_of_day]
        )
        attempts = rng.poisson(lam)
        p = np.clip(rng.normal(base, spread, attempts.shape), 0.9, 0.999)
        hit = inc.in_incident(hour_start, ctx.during(outage))
        p[:, hit] = np.clip(rng.normal(0.75, 0.02, (len(cities), hit.sum())), 0.6, 0.9)
        connected = rng.binomial(attempts, p)
        frames.append(
            pl.DataFrame(
                {
                    "stat_hour": _ms(np.tile(hour_start, len(cities))),
                    "province_code": ctx.province.code,
                    "city_code": np.repeat(cities, hours),
                    "network": network,
                    "attempts": attempts.ravel(),
                    "connected": connected.ravel(),
                }
            )
        )
    df = pl.concat(frames).with_columns(
        (pl.col("stat_hour").dt.epoch("ms") + HOUR_MS + 5 * MINUTE_MS).alias("export_ms")
    )
    df = df.with_columns(pl.from_epoch("export_ms", "ms").dt.replace_time_zone("UTC")
                         .cast(pl.Datetime("ms", "UTC")).alias("updated_at"))  # fmt: skip
    # A few (city, day) batches are first sent under-counted, then re-sent two days later.
    day = (pl.col("stat_hour").dt.epoch("ms") - ctx.t0) // DAY_MS
    batches = df.select(pl.col("city_code"), day.alias("day")).unique().sort("city_code", "day")
    resent = batches.filter(pl.Series(rng.random(batches.height) < 0.02))
    first = (
        df.with_columns(day.alias("day"))
        .join(resent, on=["city_code", "day"], how="semi")
        .drop("day")
        .with_columns((pl.col("connected") * 0.9).floor().cast(pl.Int64).alias("connected"))
    )
    corrected = df.with_columns(day.alias("day")).join(resent, on=["city_code", "day"], how="semi")
    corrected = corrected.drop("day").with_columns(
        (pl.col("export_ms") + 2 * DAY_MS).alias("export_ms"),
        (pl.col("updated_at") + pl.duration(days=2)).alias("updated_at"),
    )
    untouched = df.with_columns(day.alias("day")).join(resent, on=["city_code", "day"], how="anti")
    return pl.concat([untouched.drop("day"), first, corrected]).sort("export_ms", "city_code")


# ------------------------------------------------------------- repairs, faults, installs

Attr = np.ndarray | pl.Series


def _located(ctx: Context, rng: np.random.Generator, n: int) -> dict[str, Attr]:
    """Where n tickets or orders of the province are: its code and a city of it each."""
    return {
        "province_code": pick([ctx.province.code], np.zeros(n, np.int64)),
        "city_code": _cities(ctx, rng, n),
    }


def _repair_versions(
    ctx: Context,
    rng: np.random.Generator,
    reported: np.ndarray,
    hours: np.ndarray,
    suspended: np.ndarray,
    attrs: dict[str, Attr],
    prefix: str,
) -> pl.DataFrame:
    """A repair source's ticket versions: reported, restored ``hours`` later (plus the
    suspended minutes)."""
    duration_ms = (hours * HOUR_MS).astype(np.int64)
    return _ticket_versions(
        ctx,
        rng,
        "ticket_id",
        "reported_at",
        "restored_at",
        reported,
        duration_ms,
        suspended,
        attrs,
        prefix,
    )


def _ticket_versions(
    ctx: Context,
    rng: np.random.Generator,
    key: str,
    start_col: str,
    end_col: str,
    start: np.ndarray,
    duration_ms: np.ndarray,
    suspended_min: np.ndarray,
    attrs: dict[str, Attr],
    prefix: str,
) -> pl.DataFrame:
    """Open and closed versions of tickets, as a daily change export would carry them.

    Versions exported after the chunk's month (a ticket still open at its end) are
    returned too, up to the window's end: the export job files them in their own month.
    """
    w = ctx.window
    n = start.size
    order = np.argsort(start, kind="stable")
    start, duration_ms, suspended_min = start[order], duration_ms[order], suspended_min[order]
    g = pl.Series(order)
    attrs = {k: (v.gather(g) if isinstance(v, pl.Series) else v[order]) for k, v in attrs.items()}
    end = start + duration_ms + suspended_min.astype(np.int64) * MINUTE_MS
    # Ids: source, province, the month the chunk covers, and the ticket's rank in it.
    month_tag = f"{prefix}{ctx.province.code[:2]}{ctx.month.start:%y%m}"
    ids = pl.select(
        pl.concat_str(pl.lit(month_tag), pl.int_range(n, eager=False).cast(pl.String).str.zfill(7))
    ).to_series() if n else pl.Series([], dtype=pl.String)  # fmt: skip
    # The open version is written minutes after creation, always before the restoration.
    open_at = start + np.minimum(rng.integers(MINUTE_MS, 30 * MINUTE_MS, n), (end - start) // 2)
    closed_at = end + rng.integers(MINUTE_MS, 10 * MINUTE_MS, n)
    same_day = (open_at - w.t0) // DAY_MS == (closed_at - w.t0) // DAY_MS
    closed_in_window = closed_at < w.t_end
    # The open version: exported when created, unless it closed the same day.
    has_open = ~(same_day & closed_in_window)
    # Suspensions are agreed with the customer when the ticket is opened (a later
    # appointment), so the open version already carries them.
    frames = []
    for mask, end_present, export in (
        (has_open, np.zeros(n, bool), open_at),
        (closed_in_window, np.ones(n, bool), closed_at),
    ):
        exported = mask & (export >= w.t0) & (export < w.t_end)
        idx = np.flatnonzero(exported)
        gi = pl.Series(idx)
        frames.append(
            pl.DataFrame(
                {
                    key: ids.gather(gi),
                    **{
                        k: (v.gather(gi) if isinstance(v, pl.Series) else v[idx])
                        for k, v in attrs.items()
                    },
                    start_col: _ms(start[idx]),
                    end_col: _maybe_ms(end[idx], end_present[idx]),
                    "suspended_minutes": suspended_min[idx].astype(np.int64),
                    "updated_at": _ms(export[idx]),
                    "export_ms": export[idx],
                }
            )
        )
    return pl.concat(frames).sort("export_ms", key)


def _starts(ctx: Context, rng: np.random.Generator, source: str, hourly: np.ndarray) -> np.ndarray:
    """Creation instants of the chunk's items; the window's first month also draws the
    warm-up days before it, so its first days see restorations too."""
    warm = WARM_UP_DAYS[source] if ctx.is_first else 0
    daily = season.demand(source, ctx.dates(warm))
    counts = rng.poisson(ctx.per_day(source) * daily)
    return times_in_days(rng, counts, ctx.t0 - warm * DAY_MS, hourly)


def _slower_in_holiday(
    ctx: Context, start: np.ndarray, hours: np.ndarray, cap: float | np.ndarray
) -> np.ndarray:
    """Spring Festival: crews on leave, so repairs reported in the holiday take longer."""
    dates = ctx.dates(WARM_UP_DAYS["install_orders"])
    holiday = season.in_holiday(dates)
    if not holiday.any():
        return hours
    first = ctx.t0 - WARM_UP_DAYS["install_orders"] * DAY_MS
    day = np.clip((start - first) // DAY_MS, 0, len(dates) - 1)
    slow = holiday[day] & (start >= first)
    return np.where(slow, np.minimum(hours * season.REPAIR_HOLIDAY_SLOWDOWN, cap), hours)


def simulate_mobile_repairs(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    reported = _starts(ctx, rng, "mobile_repairs", DAYTIME_HOURLY)
    n = reported.size
    cause = rng.choice(3, n, p=[0.55, 0.25, 0.20])
    ceiling = ctx.ceiling("mobile_repair_hours_max")
    hours = lognormal_hours(rng, n, 5, 0.8, 0.2, 0.8 * ceiling)
    hours = _slower_in_holiday(ctx, reported, hours, 0.8 * ceiling)
    terminal = cause == 1
    hours = np.where(terminal, lognormal_hours(rng, n, 30, 0.6, 1, 150), hours)
    cut = inc.in_incident(reported, ctx.during("mobile_fibre_cut")) & ~terminal
    hours = np.where(cut & (rng.random(n) < 0.2), rng.uniform(ceiling + 2, ceiling + 32, n), hours)
    suspended = np.where(rng.random(n) < 0.12, rng.integers(30, 720, n), 0)
    return _repair_versions(
        ctx,
        rng,
        reported,
        hours,
        suspended,
        {
            **_located(ctx, rng, n),
            "area_type": _area(_rural(ctx, rng, n)),
            "cause": pick(("network", "terminal", "other"), cause),
        },
        "M",
    )


def simulate_broadband_faults(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    reported = _starts(ctx, rng, "broadband_faults", DAYTIME_HOURLY)
    rural = _rural(ctx, rng, reported.size, rural_boost=1.2)
    # A storm multiplies rural faults: extra tickets in the storm's days.
    extra = []
    for storm in ctx.starting("rural_broadband_storm"):
        days = (storm.end_ms - storm.start_ms) // DAY_MS
        rural_per_day = ctx.per_day("broadband_faults") * (1 - ctx.province.urban_share) * 1.2
        counts = rng.poisson(max(rural_per_day, 2.0) * 7, days)
        extra.append(times_in_days(rng, counts, storm.start_ms, DAYTIME_HOURLY))
    if extra:
        reported = np.concatenate([reported, *extra])
        rural = np.concatenate([rural, np.ones(reported.size - rural.size, bool)])
    n = reported.size
    urban_max = ctx.ceiling("broadband_repair_hours_max", "urban")
    rural_max = ctx.ceiling("broadband_repair_hours_max", "rural")
    cap = np.where(rural, 0.8 * rural_max, 0.8 * urban_max)
    hours = np.where(
        rural,
        lognormal_hours(rng, n, 9, 0.7, 0.3, 0.8 * rural_max),
        lognormal_hours(rng, n, 5, 0.8, 0.2, 0.8 * urban_max),
    )
    hours = _slower_in_holiday(ctx, reported, hours, cap)
    stormy = rural & inc.in_incident(reported, ctx.during("rural_broadband_storm"))
    hours = np.where(stormy, lognormal_hours(rng, n, 60, 0.3, 30, 96), hours)
    suspended = np.where(rng.random(n) < 0.15, rng.integers(30, 1440, n), 0)
    return _repair_versions(
        ctx,
        rng,
        reported,
        hours,
        suspended,
        {
            **_located(ctx, rng, n),
            "area_type": _area(rural),
            "access_type": pick(("ftth", "copper", "other"), rng.choice(3, n, p=[0.8, 0.15, 0.05])),
        },
        "B",
    )


def simulate_install_orders(ctx: Context, rng: np.random.Generator) -> pl.DataFrame:
    w = ctx.window
    accepted = _starts(ctx, rng, "install_orders", INSTALL_HOURLY)
    n = accepted.size
    fixed = rng.choice(2, n, p=[0.3, 0.7]) == 0
    ceiling = ctx.ceiling("install_days_max")
    days = lognormal_hours(rng, n, 2.2, 0.6, 0.1, 0.75 * ceiling)
    days = _slower_in_holiday(ctx, accepted, days, 0.75 * ceiling)
    backlog = fixed & inc.in_incident(accepted, ctx.during("install_crew_shortage"))
    days = np.where(backlog, lognormal_hours(rng, n, 10, 0.2, 6, 0.85 * ceiling), days)
    suspended = np.where(rng.random(n) < 0.10, rng.integers(1, 6, n) * 1440, 0)
    suspended = np.where(backlog, 0, suspended)
    duration = (days * DAY_MS).astype(np.int64)
    # Lost orders: accepted on the incident's day, completed a few days past the ceiling
    # (or just before the month's covered end, whichever is first).
    lost = []
    for incident in ctx.starting("install_lost_orders"):
        month_end = w.t0 + (incident.month.first_day + incident.month.covered_days) * DAY_MS
        start = incident.start_ms + 8 * HOUR_MS + np.arange(3) * 17 * MINUTE_MS
        finish = np.minimum(start + int((ceiling + 3) * DAY_MS), month_end - 2 * HOUR_MS)
        lost.append((start, finish - start))
    if lost:
        accepted = np.concatenate([accepted, *(s for s, _ in lost)])
        duration = np.concatenate([duration, *(d for _, d in lost)])
        k = accepted.size - n
        fixed = np.concatenate([fixed, np.ones(k, bool)])
        suspended = np.concatenate([suspended, np.zeros(k, dtype=suspended.dtype)])
        n = accepted.size
    return _ticket_versions(
        ctx,
        rng,
        "order_id",
        "accepted_at",
        "completed_at",
        accepted,
        duration,
        suspended,
        {
            **_located(ctx, rng, n),
            "area_type": _area(_rural(ctx, rng, n)),
            "service": pick(("broadband", "fixed_phone"), fixed.astype(np.int64)),
            "order_type": pick(("new", "move"), rng.choice(2, n, p=[0.8, 0.2])),
        },
        "O",
    )


SIMULATORS = {
    "hall_tickets": simulate_hall_tickets,
    "hotline_calls": simulate_hotline_calls,
    "network_calls": simulate_network_calls,
    "mobile_repairs": simulate_mobile_repairs,
    "broadband_faults": simulate_broadband_faults,
    "install_orders": simulate_install_orders,
}
