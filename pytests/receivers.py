"""Real receivers on localhost for the alerting tests: an HTTP server and an SMTP server.

``HttpReceiver`` records every POST (path, query, headers, JSON body) and answers each path
the way the real service does (WeCom/DingTalk ``errcode``, Feishu ``code``, Slack ``ok``);
it can be stopped (connection refused, like a robot endpoint that is down) and started again
on the same port, or told to refuse (an ``errcode`` in an HTTP 200, like a rate limit), or
to misbehave (``MISBEHAVIOURS``: an error status, a closed connection, a redirect, no answer
in time, an echo of the request with its token).
``SmtpReceiver`` is aiosmtpd's Controller on 127.0.0.1 and a free port, keeping each message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

MISBEHAVIOURS = ("500", "404", "close", "redirect", "slow", "echo", "echo_json")
"""500 / 404: that status, the body echoing the request (line, headers, body); close: the
connection is closed without an answer; redirect: 302 to a URL carrying user-info and the
request's path and query; slow: no answer for ``SLOW_SECONDS``; echo: HTTP 200 with the
request echoed as text; echo_json: HTTP 200 with a robot refusal whose message is the echo."""
SLOW_SECONDS = 1.5

ANSWERS = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
}


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


@dataclass
class HttpReceiver:
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    refuse: dict[str, dict] = field(default_factory=dict)
    """path → the JSON a robot answers when it refuses (e.g. a rate limit)."""
    misbehave: dict[str, str] = field(default_factory=dict)
    """path (or "*" for every path) → one of MISBEHAVIOURS."""
    server: ThreadingHTTPServer | None = None

    def start(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = parts.path.strip("/")
                receiver.requests.append(
                    Request(
                        name, dict(urllib.parse.parse_qsl(parts.query)), dict(self.headers), raw
                    )
                )
                mode = receiver.misbehave.get(name, receiver.misbehave.get("*"))
                if mode is not None:
                    self.misbehave(mode, raw)
                    return
                if name in receiver.refuse:
                    body = json.dumps(receiver.refuse[name]).encode()
                elif name == "slack":
                    body = b"ok"
                else:
                    body = json.dumps(ANSWERS.get(name, {"ok": True})).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def misbehave(self, mode: str, raw: bytes) -> None:
                echo = f"{self.requestline}\n{self.headers}\n".encode() + raw
                if mode == "close":
                    self.close_connection = True
                    return
                if mode == "slow":
                    time.sleep(SLOW_SECONDS)
                    self.close_connection = True
                    return
                status, body, headers = 200, echo, {"Content-Type": "text/plain"}
                if mode in ("500", "404"):
                    status = int(mode)
                elif mode == "redirect":
                    where = f"http://mover:m0ved-pass@127.0.0.1:{receiver.port}/moved{self.path}"
                    status, headers = 302, {"Location": where}
                elif mode == "echo_json":
                    text = echo.decode("utf-8", "replace")
                    refusal = {"errcode": 1, "errmsg": text, "code": 1, "msg": text}
                    body, headers = json.dumps(refusal).encode(), {}
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def dingtalk_signature_ok(request: Request, secret: str) -> bool:
    """DingTalk's rule: sign = Base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    stamp = request.query["timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    return hmac.compare_digest(request.query["sign"], expected)


def feishu_signature_ok(body: dict, secret: str) -> bool:
    """Feishu's rule: sign = Base64(HMAC-SHA256(key "timestamp\\nsecret", empty message))."""
    key = f"{body['timestamp']}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(body["sign"], expected)


def webhook_signature_ok(request: Request, secret: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), request.raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["X-Kpiwatch-Signature"], expected)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Keeper:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _refuse_echoing(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """A careless server's refusal: it repeats the user name and password it was given."""
    login = auth_data.login.decode("utf-8", "replace")
    password = auth_data.password.decode("utf-8", "replace")
    return AuthResult(
        success=False, handled=False, message=f"535 5.7.8 {login}:{password} not accepted"
    )


class SmtpReceiver:
    def __init__(self, refuse_login: bool = False) -> None:
        """``refuse_login``: offer AUTH (without TLS) and refuse every login, echoing it."""
        self.keeper = _Keeper()
        self.port = free_port()
        auth = {"authenticator": _refuse_echoing, "auth_require_tls": False} if refuse_login else {}
        self.controller = Controller(self.keeper, hostname="127.0.0.1", port=self.port, **auth)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        return self.keeper.messages


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a digest mail."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()
