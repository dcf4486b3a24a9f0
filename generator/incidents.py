"""Planted breaches: what goes wrong, where and when, so tests can find exactly that.

Each incident hits one province for a stretch of one month (inside one of its parts:
days 1-10, 11-20 or 21-end, so that the month's breach can be traced to where it was
planted; the manifest records where) and is strong enough to break its KPIs for that
month by a clear margin, while the baseline keeps every other
province × KPI × month comfortably compliant. Incidents are planted only in months the
window covers for at least ``MIN_COVERED_DAYS`` days (a short partial month has too
little data to judge fairly), and each is placed so none of its effects spill into the
next month: storm and fibre-cut tickets are all restored well before the month ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from generator.timeline import DAY_MS, Month, Window

MIN_COVERED_DAYS = 21
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
MONTH_PARTS = ("01-10", "11-20", "21-31")
"""marts.kpi_breach_drivers' parts of a month: days 1-10, 11-20, 21 to the end."""


@dataclass(frozen=True)
class IncidentKind:
    name: str
    group: str
    """Incidents of one group touch the same KPIs: one province never gets two of them."""
    first_day: int
    """Day of the month (0-based) it starts."""
    length_days: int
    breaches: tuple[tuple[str, str], ...]
    """(kpi_id, segment) it breaks."""
    en: str
    zh: str
    side_effects: tuple[tuple[str, str], ...] = ()
    """(kpi_id, segment) it may also break, depending on volumes (thin night hours)."""
    where: tuple[tuple[str, str], ...] = ()
    """(dimension, member) of marts.kpi_breach_drivers naming where it was planted, besides
    the part of the month holding most of its days (``Incident.where``)."""


KINDS: tuple[IncidentKind, ...] = (
    IncidentKind(
        "hall_understaffed", "hall_queue", 10, 10, (("hall_wait_15m", "all"),),
        "halls run short of counter staff for ten days; queues build up at peaks",
        "营业厅柜台人手不足，连续十天高峰排队积压",
    ),
    IncidentKind(
        "hall_vip_zone_closed", "hall_vip", 1, 9,
        (("hall_vip_wait_5m", "all"), ("hall_appointment_no_wait", "all")),
        "VIP zones closed for refurbishment; VIP and appointment customers queue",
        "VIP专区装修关闭，VIP及预约客户需排队等候",
    ),
    IncidentKind(
        "hall_slow_system", "hall_handle", 20, 10, (("hall_handle_10m", "all"),),
        "the billing system responds slowly; every transaction takes 2.5 times longer",
        "营业系统响应缓慢，单项业务办理时长增至2.5倍",
        (("hall_wait_15m", "all"),),
    ),
    IncidentKind(
        "hotline_understaffed", "hotline_standard", 10, 10, (("hotline_sl20", "all"),),
        "the 10010 call centre is understaffed for ten days",
        "10010客服中心连续十天人手不足",
        (("hotline_24x7_dark_hours", "all"),),
    ),
    IncidentKind(
        "hotline_vip_misrouted", "hotline_vip", 1, 9, (("hotline_vip_sl20", "all"),),
        "VIP calls are misrouted to the general queue after an IVR change",
        "IVR调整后VIP来电被错误路由至普通队列",
        (("hotline_24x7_dark_hours", "all"),),
    ),
    IncidentKind(
        "mobile_core_outage", "network_mobile", 14, 4, (("mobile_connect_rate", "all"),),
        "a mobile core-network fault drops one call in five for four days",
        "移动核心网故障，四天内约五分之一本地呼叫接续失败",
    ),
    IncidentKind(
        "fixed_switch_fault", "network_fixed", 14, 6, (("fixed_connect_rate", "all"),),
        "a fixed-network switch fault for six days",
        "固网交换机故障持续六天",
    ),
    IncidentKind(
        "rural_broadband_storm", "broadband_rural", 3, 6,
        (("broadband_repair_hours_avg", "rural"), ("broadband_repair_hours_max", "rural")),
        "a storm floods rural lines: eight times the faults, repairs take days",
        "暴雨致农村宽带线路大面积受损，障碍量增至八倍，修复需数日",
    ),
    IncidentKind(
        "mobile_fibre_cut", "mobile_repair", 5, 4, (("mobile_repair_hours_max", "all"),),
        "a backhaul fibre cut: one repair ticket in five takes over two days",
        "传输光缆中断，五分之一移动障碍修复超过两天",
    ),
    IncidentKind(
        "install_crew_shortage", "install", 0, 31, (("install_days_avg", "all"),),
        "fixed-phone installation crews are short all month: orders wait about nine days",
        "固话装机人员全月紧缺，装机平均等待约九天",
    ),
    IncidentKind(
        "install_lost_orders", "install", 0, 1, (("install_days_max", "all"),),
        "three fixed-phone orders were lost in the workflow and completed after four weeks",
        "三张固话装机工单流程遗失，四周后才完成",
        where=(("hour_band", "07-09"),),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Incident:
    kind: IncidentKind
    province_code: str
    month: Month
    start_ms: int
    end_ms: int

    @property
    def dates(self) -> list[date]:
        """The local days it lasts."""
        first = datetime.fromtimestamp(self.start_ms / 1000, LOCAL_ZONE).date()
        return [first + timedelta(days=d) for d in range((self.end_ms - self.start_ms) // DAY_MS)]

    @property
    def where(self) -> list[dict[str, str]]:
        """Where it was planted, as members of marts.kpi_breach_drivers' dimensions: the part
        of the month (days 1-10, 11-20, 21-end) holding more than half of its days, if one
        does, and the kind's own places. A driver naming one of them names the incident."""
        parts = [MONTH_PARTS[min(2, (d.day - 1) // 10)] for d in self.dates]
        places = [("month_part", p) for p in MONTH_PARTS if 2 * parts.count(p) > len(parts)]
        return [{"dimension": d, "member": m} for d, m in (*places, *self.kind.where)]

    def as_dict(self) -> dict[str, object]:
        dates = self.dates
        return {
            "incident": self.kind.name,
            "province_code": self.province_code,
            "period_month": self.month.start.isoformat(),
            "start_day": self.kind.first_day + 1,
            "days": len(dates),
            "first_date": dates[0].isoformat(),
            "last_date": dates[-1].isoformat(),
            "where": self.where,
            "breaches": [{"kpi_id": k, "segment": s} for k, s in self.kind.breaches],
            "description_en": self.kind.en,
            "description_zh": self.kind.zh,
        }


def plan(window: Window, province_codes: list[str], rng: np.random.Generator) -> list[Incident]:
    """Assign each kind of incident to a province in every month covered long enough.

    Provinces are drawn in a seeded random order; a kind goes to the first province that
    has no incident of the same group that month. With few provinces some kinds are not
    planted; the manifest lists exactly what was.
    """
    incidents: list[Incident] = []
    for month in window.months():
        if month.covered_days < MIN_COVERED_DAYS:
            continue
        order = [str(p) for p in rng.permutation(province_codes)]
        taken: dict[str, set[str]] = {p: set() for p in order}
        month_t0 = window.t0 + month.first_day * DAY_MS
        offset = month.start.day - 1 if month.first_day == 0 else 0
        # A window that starts mid-month shifts incidents so they stay inside it.
        for kind in KINDS:
            for province in order:
                if kind.group in taken[province]:
                    continue
                taken[province].add(kind.group)
                order.append(order.pop(order.index(province)))  # spread incidents out
                first = max(0, kind.first_day - offset)
                # A short or partly covered month moves it earlier rather than cutting it.
                first = max(0, min(first, month.covered_days - kind.length_days))
                length = min(kind.length_days, month.covered_days - first)
                start = month_t0 + first * DAY_MS
                incidents.append(Incident(kind, province, month, start, start + length * DAY_MS))
                break
    return incidents


def active(incidents: list[Incident], name: str, province: str) -> list[Incident]:
    return [i for i in incidents if i.kind.name == name and i.province_code == province]


def in_incident(ms: np.ndarray, incidents: list[Incident]) -> np.ndarray:
    """Whether each instant falls inside any of the given incidents."""
    hit = np.zeros(ms.shape, dtype=bool)
    for inc in incidents:
        hit |= (ms >= inc.start_ms) & (ms < inc.end_ms)
    return hit
