"""One grouped, bilingual message per channel and run: the digest.

What broke, where, how badly, since when, where the shortfall comes from (the breach's top
driver), and the dashboard page, for every pending alert
of a channel: critical first, then major, then minor (severities as marts.kpi_breaches
judged them), then what resolved. Chinese first, English
beside it, times in Asia/Shanghai. Rendered from the payload stored in the outbox, so a
retry a day later says exactly what the first attempt would have said.

Chat robots cap a message's size (WeCom 4 096 bytes of markdown, DingTalk ~20 000, Feishu
~30 000); a digest that would not fit ends with "… and N more — see the dashboard", and
every alert it covers is still marked sent: the dashboard's alert log has them all.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.config.severity import SEVERITIES

SHANGHAI = ZoneInfo("Asia/Shanghai")
SECTIONS = (
    ("critical", "🔴 严重", "Critical"),
    ("major", "🟠 较重", "Major"),
    ("minor", "🟡 轻微", "Minor"),
    ("info", "✅ 已恢复", "Resolved"),
)
SEGMENTS = {"urban": ("城镇", "urban"), "rural": ("农村", "rural"), "all": ("", "")}
LIMITS = {"wecom": 4000, "dingtalk": 18000, "feishu": 25000, "slack": 35000}
"""Bytes of text a channel type accepts in one message, with a margin."""


def local(ts: str | datetime) -> str:
    when = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    if when.tzinfo is None:
        when = when.replace(tzinfo=SHANGHAI)
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def number(value: float | None, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:.1f} 小时 h"
    if unit == "days":
        return f"{value:.1f} 天 d"
    if unit == "hours_count":
        return f"{value:.0f} 小时 h"
    return f"{value:g} {unit or ''}".strip()


def gap(margin: float | None, unit: str | None) -> str:
    if margin is None:
        return ""
    size = abs(margin)
    if unit == "share":
        return f"{size * 100:.1f} 个百分点 pp"
    return number(size, unit)


@dataclass(frozen=True)
class Style:
    """How one channel type writes bold text, links and headings."""

    name: str

    def bold(self, text: str) -> str:
        if self.name == "slack":
            return f"*{text}*"
        if self.name == "html":
            return f"<b>{html.escape(text)}</b>"
        if self.name == "text":
            return text
        return f"**{text}**"

    def link(self, text: str, url: str) -> str:
        if self.name == "slack":
            return f"<{url}|{text}>"
        if self.name == "html":
            return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'
        if self.name == "text":
            return f"{text}: {url}"
        return f"[{text}]({url})"

    def plain(self, text: str) -> str:
        return html.escape(text) if self.name == "html" else text


def line(p: dict[str, Any], style: Style) -> str:
    """One alert, in both languages."""
    s = style
    where = s.bold(f"{p.get('province_zh') or ''} {p.get('province_en') or ''}".strip() or "—")
    parts: list[str] = []
    if p["kind"] == "reminder":
        parts.append(
            s.plain("⏰ 提醒 reminder" + (" · 升级 escalated" if p.get("escalated") else ""))
        )
    if p["category"] == "breach":
        seg_zh, seg_en = SEGMENTS.get(
            p.get("segment") or "all", (p.get("segment"), p.get("segment"))
        )
        what_zh = p["kpi_zh"] + (f"({seg_zh})" if seg_zh else "")
        what = what_zh + " " + p["kpi_en"] + (f" ({seg_en})" if seg_en else "")
        unit = p.get("unit")
        head = f"{where} · {s.plain(what)} · {s.plain(p['period'])}"
        value = s.bold(number(p.get("value"), unit))
        sign = {">=": "≥", "<=": "≤"}.get(p.get("comparator") or "", p.get("comparator"))
        target = f"{sign} {number(p.get('threshold'), unit)}"
        if p["kind"] == "resolved":
            parts.append(f"{head}: {s.plain('已达标 now compliant')} {value} ({s.plain(target)})")
        else:
            short = gap(p.get("margin"), unit)
            by = "超出 over by" if p.get("comparator") == "<=" else "差 short by"
            detail = f"{value}, " + s.plain(f"标准 standard {target}, {by} {short}")
            extra = [f"样本 n={p.get('sample_size'):,}" if p.get("sample_size") is not None else ""]
            if (
                p.get("breach_count")
                and p.get("case_limit") is not None
                and unit in ("hours", "days")
            ):
                limit = number(p["case_limit"], unit)
                count = p["breach_count"]
                extra.append(f"{count:,} 件超过单件上限 {limit} ({count:,} cases over it)")
            extra.append(
                f"自 since {p.get('since_period') or p['period']}"
                f"(首次发现 first seen {local(p['opened_at'])})"
            )
            parts.append(f"{head}: {detail} · " + s.plain(" · ".join(e for e in extra if e)))
            if p.get("driver_zh") or p.get("driver_en"):  # marts.kpi_breach_drivers, rank 1
                driver = f"主因 top driver: {p.get('driver_zh') or ''} / {p.get('driver_en') or ''}"
                parts.append(s.plain(driver))
    elif p["category"] == "at_risk":
        parts.append(at_risk_line(p, style, where))
    else:
        source = p.get("source") or ""
        head = (
            f"{where} · {s.plain(source)}"
            if p.get("province_code")
            else s.bold(source or "数据 data")
        )
        if p["kind"] == "resolved":
            parts.append(
                f"{head}: {s.plain('已恢复 back to normal — ' + (p.get('summary_en') or ''))}"
            )
        else:
            zh, en = p.get("summary_zh") or "", p.get("summary_en") or ""
            seen = f" · 首次发现 first seen {local(p['opened_at'])}"
            parts.append(f"{head}: {s.plain(zh)} / {s.plain(en)}{s.plain(seen)}")
    if p.get("owners"):
        parts.append(s.plain("负责人 owners: " + ", ".join(p["owners"])))
    if p.get("link"):
        parts.append(s.link("看板 dashboard", p["link"]))
    return " · ".join(parts)


def at_risk_line(p: dict[str, Any], style: Style, where: str) -> str:
    """An early warning of the running month (marts.kpi_at_risk), in both languages."""
    s = style
    seg_zh, seg_en = SEGMENTS.get(p.get("segment") or "all", (p.get("segment"), p.get("segment")))
    what = (
        (p.get("kpi_zh") or "")
        + (f"({seg_zh})" if seg_zh else "")
        + " "
        + (p.get("kpi_en") or "")
        + (f" ({seg_en})" if seg_en else "")
    )
    head = f"{where} · {s.plain(what)} · {s.plain(p.get('period') or '')}"
    if p["kind"] == "resolved":
        if p.get("month_ended"):
            ended = "月份已结束,由达标评估接手 month ended, judged as a breach or not"
            return f"{head}: " + s.plain(ended)
        return f"{head}: " + s.plain("风险已下降 risk has fallen")
    unit = p.get("unit")
    sign = {">=": "≥", "<=": "≤"}.get(p.get("comparator") or "", p.get("comparator"))
    target = f"{sign} {number(p.get('threshold'), unit)}"
    if p.get("is_already_lost"):
        verdict = s.bold("本月已无法达标 the month is already lost")
        detail = s.plain(f"一件已超上限 a case is over the ceiling {target}")
    else:
        chance = f"{(p.get('probability') or 0) * 100:.0f}%"
        verdict = s.bold(f"预警 at risk: {chance} 可能不达标 likely to miss")
        detail = s.plain(
            f"至今 so far {number(p.get('value'), unit)}, "
            f"月末预计 month end {number(p.get('projected_low'), unit)}"
            f"–{number(p.get('projected_high'), unit)}, 标准 standard {target}, "
            f"{p.get('days_observed')}/{p.get('days_in_month')} 天 days"
        )
    return f"{head}: {verdict} · {detail}"


@dataclass(frozen=True)
class Digest:
    digest_id: str
    title: str
    text: str
    markdown: str
    slack: str
    html: str
    count: int
    counts: dict[str, int]
    alerts: list[dict[str, Any]]

    @property
    def worst(self) -> str:
        """critical, major or minor (the worst open alert), or info when all resolved."""
        open_ = [p["severity"] for p in self.alerts if p["kind"] != "resolved"]
        for level in reversed(SEVERITIES):
            if level in open_:
                return level
        return "minor" if open_ else "info"


def _section_of(p: dict[str, Any]) -> str:
    """Its section; "warning" (an alert queued before the bands were renamed) is minor."""
    if p["kind"] == "resolved":
        return "info"
    return "minor" if p["severity"] == "warning" else p["severity"]


def _order(p: dict[str, Any]) -> tuple:
    return (
        {"breach": 0, "at_risk": 1}.get(p["category"], 2),
        0 if p["kind"] == "new" else 1,
        p.get("province_code") or "",
        p.get("kpi_id") or p.get("source") or "",
        p.get("period") or "",
    )


def _render(
    payloads: list[dict[str, Any]], style: Style, now: datetime, limit: int, max_lines: int
) -> str:
    counts = {
        k: sum(1 for p in payloads if p["kind"] == k) for k in ("new", "reminder", "resolved")
    }
    title = f"kpiwatch 告警摘要 Alert digest · {local(now)} 北京时间 (Asia/Shanghai)"
    summary = (
        f"新增 new {counts['new']} · 提醒 reminders {counts['reminder']} · "
        f"已恢复 resolved {counts['resolved']}"
    )
    if style.name == "html":
        head = [f"<h2>{html.escape(title)}</h2>", f"<p>{html.escape(summary)}</p>"]
    else:
        head = [style.bold(title), summary]
    body: list[str] = []
    shown = 0
    total = len(payloads)
    budget = limit - len("\n".join(head).encode()) - 200
    for key, zh, en in SECTIONS:
        own = sorted((p for p in payloads if _section_of(p) == key), key=_order)
        if not own:
            continue
        heading = f"{zh} {en} ({len(own)})"
        if style.name == "html":
            block = [f"<h3>{html.escape(heading)}</h3><ul>"]
        else:
            block = ([""] if body else []) + [style.bold(heading)]
        for p in own:
            text = line(p, style)
            entry = f"<li>{text}</li>" if style.name == "html" else f"- {text}"
            size = len("\n".join([*body, *block, entry]).encode())
            if (max_lines and shown >= max_lines) or size > budget:
                break
            block.append(entry)
            shown += 1
        if style.name == "html":
            block.append("</ul>")
        if any(entry.startswith(("- ", "<li>")) for entry in block):
            body += block
    if shown < total:
        more = f"… 另有 {total - shown} 条,见看板 and {total - shown} more — see the dashboard"
        body.append(f"<p>{html.escape(more)}</p>" if style.name == "html" else more)
    sep = "\n" if style.name == "html" else "\n\n"
    return sep.join(head) + sep + "\n".join(body)


def render(
    rows: list[dict[str, Any]], channel: str, channel_type: str, now: datetime, max_lines: int = 0
) -> Digest:
    """The digest of a channel's pending outbox rows (each with its ``payload`` dict)."""
    payloads = [dict(r["payload"], alert_key=r["alert_key"]) for r in rows]
    keys = sorted(r["alert_key"] for r in rows)
    digest_id = hashlib.sha256("|".join([channel, *keys]).encode()).hexdigest()[:20]
    limit = LIMITS.get(channel_type, 10**7)
    lines = max_lines or (0 if channel_type in ("email", "webhook") else 60)
    counts = {
        k: sum(1 for p in payloads if p["kind"] == k) for k in ("new", "reminder", "resolved")
    }
    open_ = Counter(p["severity"] for p in payloads if p["kind"] != "resolved")
    title = (
        f"[kpiwatch] 严重 critical {open_['critical']} · 较重 major {open_['major']} · "
        f"轻微 minor {open_['minor']} · 已恢复 resolved {counts['resolved']} — {local(now)}"
    )
    return Digest(
        digest_id=digest_id,
        title=title,
        text=_render(payloads, Style("text"), now, 10**7, lines),
        markdown=_render(payloads, Style("markdown"), now, limit, lines),
        slack=_render(payloads, Style("slack"), now, limit, lines),
        html=_render(payloads, Style("html"), now, 10**7, lines),
        count=len(payloads),
        counts=counts,
        alerts=payloads,
    )
