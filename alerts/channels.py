"""Deliver one digest to one channel, with the standard library only (urllib, smtplib).

Each chat robot wants its own body, and each says "failed" its own way: WeCom and DingTalk
answer HTTP 200 with ``errcode`` ≠ 0 (a wrong key, a rate limit), Feishu with ``code`` ≠ 0,
Slack with a body other than ``ok``. All of them count as failures here, so the alert stays
pending. Error messages name the host and path but never the query string, where the
robots keep their tokens.

- **webhook**: the digest as JSON (every alert with its idempotency key, plus the text),
  ``Idempotency-Key`` / ``X-Kpiwatch-Digest`` headers, and with ``secret_env`` an
  ``X-Kpiwatch-Signature: sha256=<HMAC of the body>``;
- **wecom** (企业微信群机器人): ``msgtype: markdown``;
- **dingtalk** (钉钉自定义机器人): ``msgtype: markdown``; with a signing secret, ``timestamp``
  (ms) and ``sign`` = Base64(HMAC-SHA256(secret, "timestamp\\nsecret")) in the query;
- **feishu** (飞书自定义机器人): an interactive card with a markdown element; with a signing
  secret, ``timestamp`` (s) and ``sign`` = Base64(HMAC-SHA256(key "timestamp\\nsecret", ""))
  in the body;
- **slack**: an incoming webhook, ``text`` in Slack's mrkdwn;
- **email**: multipart text + HTML over SMTP, STARTTLS or SSL, optional login; the
  ``Message-ID`` derives from the digest, so a resent digest threads with the first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from alerts.digest import Digest
from alerts.settings import Channel, SecretMissing


class DeliveryError(RuntimeError):
    """The channel did not accept the digest; the message says what it answered."""


def _where(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def post_json(
    url: str, body: dict[str, Any], timeout: float, headers: dict[str, str] | None = None
) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return post(url, data, timeout, headers)


def post(url: str, data: bytes, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "kpiwatch-alerts",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        answer = exc.read(300).decode("utf-8", "replace").strip()
        raise DeliveryError(
            f"{_where(url)} answered HTTP {exc.code}: {answer or exc.reason}"
        ) from exc
    except urllib.error.URLError as exc:
        raise DeliveryError(f"cannot reach {_where(url)}: {exc.reason}") from exc
    except (TimeoutError, OSError) as exc:
        raise DeliveryError(f"cannot reach {_where(url)}: {exc}") from exc


def _robot_answer(url: str, raw: bytes, field: str) -> None:
    """WeCom/DingTalk (errcode) and Feishu (code) say 'failed' inside an HTTP 200."""
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except ValueError as exc:
        raise DeliveryError(
            f"{_where(url)} answered something that is not JSON: {raw[:200]!r}"
        ) from exc
    code = answer.get(field, answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        raise DeliveryError(f"{_where(url)} refused the message: {field} {code}: {message}")


def _hmac_b64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode("ascii")


def send_webhook(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    body = {
        "digest_id": digest.digest_id,
        "title": digest.title,
        "counts": digest.counts,
        "text": digest.text,
        "markdown": digest.markdown,
        "alerts": digest.alerts,
    }
    data = json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Idempotency-Key": digest.digest_id, "X-Kpiwatch-Digest": digest.digest_id}
    secret = channel.secret()
    if secret:
        signature = hmac.new(secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
        headers["X-Kpiwatch-Signature"] = f"sha256={signature}"
    post(url, data, timeout, headers)


def send_wecom(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    raw = post_json(url, {"msgtype": "markdown", "markdown": {"content": digest.markdown}}, timeout)
    _robot_answer(url, raw, "errcode")


def send_dingtalk(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    secret = channel.secret()
    if secret:
        stamp = str(round(time.time() * 1000))
        sign = _hmac_b64(secret.encode("utf-8"), f"{stamp}\n{secret}".encode())
        joiner = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{joiner}timestamp={stamp}&sign={urllib.parse.quote_plus(sign)}"
    body = {"msgtype": "markdown", "markdown": {"title": digest.title, "text": digest.markdown}}
    _robot_answer(url, post_json(url, body, timeout), "errcode")


def send_feishu(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    worst = {"critical": "red", "warning": "orange"}.get(digest.worst, "green")
    body: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": digest.title}, "template": worst},
            "elements": [{"tag": "markdown", "content": digest.markdown}],
        },
    }
    secret = channel.secret()
    if secret:
        stamp = str(int(time.time()))
        body["timestamp"] = stamp
        body["sign"] = _hmac_b64(f"{stamp}\n{secret}".encode(), b"")
    _robot_answer(url, post_json(url, body, timeout), "code")


def send_slack(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    raw = post_json(url, {"text": digest.slack, "unfurl_links": False}, timeout)
    answer = raw.decode("utf-8", "replace").strip()
    if answer and answer != "ok":
        raise DeliveryError(f"{_where(url)} refused the message: {answer[:200]}")


def send_email(channel: Channel, digest: Digest, timeout: float) -> None:
    message = EmailMessage()
    message["Subject"] = digest.title
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{digest.digest_id}@kpiwatch>"
    message["X-Kpiwatch-Digest"] = digest.digest_id
    message.set_content(digest.text)
    message.add_alternative(
        f'<html><body style="font-family: sans-serif">{digest.html}</body></html>', subtype="html"
    )
    credentials = channel.credentials()
    host, port = channel.host or "localhost", channel.port
    context = (
        ssl.create_default_context(cafile=channel.ca_file) if channel.security != "none" else None
    )
    try:
        if channel.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=context)
            if credentials:
                smtp.login(*credentials)
            # Some recipients refused, others accepted: delivered (sending again would
            # double it for the others); the server bounces to the sender for the rest.
            smtp.send_message(message, channel.sender, list(channel.to))
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"smtp://{host}:{port}: {exc}") from exc
    except (OSError, ssl.SSLError) as exc:
        raise DeliveryError(f"cannot reach smtp://{host}:{port}: {exc}") from exc


SENDERS = {
    "webhook": send_webhook,
    "wecom": send_wecom,
    "dingtalk": send_dingtalk,
    "feishu": send_feishu,
    "slack": send_slack,
    "email": send_email,
}


def send(channel: Channel, digest: Digest, timeout: float) -> None:
    """Deliver or raise DeliveryError (a missing secret is one too: the alert waits)."""
    try:
        SENDERS[channel.type](channel, digest, timeout)
    except SecretMissing as exc:
        raise DeliveryError(str(exc)) from exc
