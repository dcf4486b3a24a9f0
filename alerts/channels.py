"""Deliver one digest to one channel, with the standard library only (urllib, smtplib).

Each chat robot wants its own body, and each says "failed" its own way: WeCom and DingTalk
answer HTTP 200 with ``errcode`` ≠ 0 (a wrong key, a rate limit), Feishu with ``code`` ≠ 0,
Slack with a body other than ``ok``. All of them count as failures here, so the alert stays
pending. Error messages name the channel (type, name, host: ``alerts.redaction``) and say
what went wrong in fixed words; no part of the URL but its host, no credential and no
unvetted server text ever reaches them. Redirects are not followed, and a URL with
``user:password@`` sends those as HTTP Basic authentication.

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
import http
import http.client
import json
import re
import smtplib
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from alerts.digest import Digest
from alerts.redaction import Secrets, describe
from core.config.alerts import Channel, SecretMissing


class DeliveryError(RuntimeError):
    """The channel did not accept the digest; the message says what it answered, in words
    that carry none of the channel's secrets (see ``alerts.redaction``)."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A robot endpoint that redirects is misconfigured: following would post the digest
    (for a 307) somewhere nobody configured, and the target may carry a token. Not followed:
    the 3xx becomes an HTTPError, a failed delivery."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """``https://user:pass@relay/x`` → (``https://relay/x``, a Basic Authorization header).

    urllib would otherwise send ``user:pass@relay`` as the Host header and fail to connect.
    """
    parts = urllib.parse.urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at:
        return url, {}
    user, _, password = userinfo.partition(":")
    plain = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    token = base64.b64encode(plain.encode("utf-8")).decode("ascii")
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), {"Authorization": f"Basic {token}"}


def server_says(raw: bytes) -> str:
    """What a server's answer is worth repeating: a robot's code and message, or a short
    word like Slack's ``invalid_token``; anything else (an HTML error page, an echo of the
    request) is not repeated, only counted. ``send`` scrubs what is kept."""
    text = raw[:4096].decode("utf-8", "replace").strip()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        code = next((answer[k] for k in _CODE_FIELDS if k in answer), None)
        message = next((answer[k] for k in _MESSAGE_FIELDS if answer.get(k)), "")
        if code is not None or message:
            said = f"code {code}: {message}" if code is not None else str(message)
            return said[:200]
    if re.fullmatch(r"[A-Za-z0-9_.\- ]{1,60}", text):
        return text
    return f"{len(raw)} bytes, not shown" if raw else "an empty answer"


_CODE_FIELDS = ("errcode", "code", "StatusCode", "error_code")
_MESSAGE_FIELDS = ("errmsg", "msg", "StatusMessage", "message", "error")


def post_json(
    url: str, body: dict[str, Any], timeout: float, headers: dict[str, str] | None = None
) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return post(url, data, timeout, headers)


def post(url: str, data: bytes, timeout: float, headers: dict[str, str] | None = None) -> bytes:
    """POST and return the answer, or raise DeliveryError naming only what went wrong
    (never the URL: ``send`` names the channel)."""
    target, auth = _without_userinfo(url)
    request = urllib.request.Request(
        target,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "kpiwatch-alerts",
            **auth,
            **(headers or {}),
        },
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.read(1 << 20)
    except urllib.error.HTTPError as exc:
        raw = exc.read(4096) if exc.fp is not None else b""
        status = _phrase(exc.code)
        if 300 <= exc.code < 400:
            raise DeliveryError(
                f"answered HTTP {exc.code}{status}, a redirect (not followed: check the URL)"
            ) from None
        raise DeliveryError(f"answered HTTP {exc.code}{status}: {server_says(raw)}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise DeliveryError(f"cannot reach it: {cause(exc, timeout)}") from None


def _phrase(code: int) -> str:
    try:
        return f" {http.HTTPStatus(code).phrase}"
    except ValueError:
        return ""


def cause(exc: BaseException, timeout: float) -> str:
    """Why a connection failed, in fixed words: the text of these exceptions can quote the
    URL (``unknown url type: '…'``, ``nonnumeric port: '…'``) and is not repeated."""
    if isinstance(exc, urllib.error.URLError):
        inner = exc.reason
        return (
            cause(inner, timeout) if isinstance(inner, BaseException) else "the URL is not usable"
        )
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionError):
        return "the connection was closed without an answer"
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or type(exc).__name__})"
    if isinstance(exc, http.client.InvalidURL | ValueError):
        return "the URL is not valid (check url / url_env)"
    if isinstance(exc, http.client.HTTPException):
        return f"the answer could not be read ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__


def _robot_answer(raw: bytes, field: str) -> None:
    """WeCom/DingTalk (errcode) and Feishu (code) say 'failed' inside an HTTP 200."""
    try:
        answer = json.loads(raw.decode("utf-8") or "{}")
    except ValueError:
        raise DeliveryError(
            f"answered something that is not JSON ({len(raw)} bytes, not shown)"
        ) from None
    if not isinstance(answer, dict):
        raise DeliveryError("answered JSON that is not an object") from None
    code = answer.get(field, answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
        raise DeliveryError(f"refused the message: {field} {code}: {str(message)[:200]}")


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
    _robot_answer(raw, "errcode")


def send_dingtalk(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    secret = channel.secret()
    if secret:
        stamp = str(round(time.time() * 1000))
        sign = _hmac_b64(secret.encode("utf-8"), f"{stamp}\n{secret}".encode())
        joiner = "&" if urllib.parse.urlsplit(url).query else "?"
        url = f"{url}{joiner}timestamp={stamp}&sign={urllib.parse.quote_plus(sign)}"
    body = {"msgtype": "markdown", "markdown": {"title": digest.title, "text": digest.markdown}}
    _robot_answer(post_json(url, body, timeout), "errcode")


def send_feishu(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    worst = {"critical": "red", "major": "orange", "minor": "yellow"}.get(digest.worst, "green")
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
    _robot_answer(post_json(url, body, timeout), "code")


def send_slack(channel: Channel, digest: Digest, timeout: float) -> None:
    url = channel.webhook_url()
    raw = post_json(url, {"text": digest.slack, "unfurl_links": False}, timeout)
    if raw.strip() and raw.strip() != b"ok":
        raise DeliveryError(f"refused the message: {server_says(raw)}")


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
    except smtplib.SMTPResponseException as exc:
        said = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        what = "the login" if isinstance(exc, smtplib.SMTPAuthenticationError) else "the message"
        raise DeliveryError(f"the SMTP server refused {what}: {exc.smtp_code} {said}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"the SMTP server refused every recipient ({len(exc.recipients)})"
        ) from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP failed: {type(exc).__name__}: {exc}") from None
    except (OSError, ValueError) as exc:
        raise DeliveryError(f"cannot reach it: {cause(exc, timeout)}") from None


SENDERS = {
    "webhook": send_webhook,
    "wecom": send_wecom,
    "dingtalk": send_dingtalk,
    "feishu": send_feishu,
    "slack": send_slack,
    "email": send_email,
}


def send(channel: Channel, digest: Digest, timeout: float) -> None:
    """Deliver or raise DeliveryError (a missing secret is one too: the alert waits).

    Whatever goes wrong, the error names the channel with ``describe`` and its text has been
    through ``Secrets.scrub``; it is raised without its cause, so no traceback or log of the
    chain can carry an exception that quotes the URL or a credential.
    """
    secrets = Secrets.of(channel)
    try:
        SENDERS[channel.type](channel, digest, timeout)
        return
    except SecretMissing as exc:
        detail = str(exc)
    except DeliveryError as exc:
        detail = str(exc)
    except (OSError, ValueError, http.client.HTTPException, smtplib.SMTPException) as exc:
        detail = f"failed: {cause(exc, timeout)}"
    raise DeliveryError(f"{describe(channel)}: {secrets.scrub(detail)}") from None
