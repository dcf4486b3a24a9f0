"""Say which channel failed and why, never what its secrets are.

A chat robot's token lives in its webhook URL: in the path (Feishu ``…/bot/v2/hook/<token>``,
Slack ``/services/T…/B…/<token>``), in the query (WeCom ``?key=``, DingTalk
``?access_token=``) or in the user-info of a relay (``https://user:pass@relay/``); an email
channel's secrets are its SMTP user name and password. Whoever can read a message, a log or
the published ``audit.alerts`` must not be able to post to the robot, so:

- a channel is named by ``describe``: its type, its kpiwatch.toml name and its host (with
  the port when the URL gives one), e.g. ``feishu "ops" (open.feishu.cn)``, and nothing else
  of its URL;
- every text that comes from elsewhere (an exception of urllib, smtplib, ssl or socket, a
  server's answer, which may echo the request) goes through ``Secrets.scrub`` before it is
  printed or stored: each fragment of the URL and each credential is masked, any URL left is
  cut down to its scheme and host, and the text becomes one line of bounded length.

This module is the one place that knows these rules; ``channels.send`` applies them to every
error it lets out.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from core.config.alerts import Channel

MASK = "***"
SHORTEST = 4
"""Fragments shorter than this are not masked: no real token is that short, and masking
every "v2" or "bot" would garble the message without protecting anything."""
LONGEST = 300
"""Characters of foreign text kept in one message (a server's answer, an exception)."""
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.\-]*)://([^\s/?#'\"<>\\]*)[^\s'\"<>]*")


def host_of(url: str | None) -> str | None:
    """``host`` or ``host:port`` of a URL, without its user-info; None when it has none."""
    if not url:
        return None
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:  # a bracketed host that is no IPv6 address, a port that is no number
        return None
    if not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def _configured_url(channel: Channel) -> str | None:
    """The channel's URL if it can be known without failing (the variable may be unset)."""
    if channel.url_env:
        return os.environ.get(channel.url_env) or None
    return channel.url


def describe(channel: Channel) -> str:
    """``type "name" (host)``: how every message names a channel."""
    if channel.type == "email":
        host = f"{channel.host}:{channel.port}" if channel.host else None
    else:
        host = host_of(_configured_url(channel))
    return f'{channel.type} "{channel.name}"' + (f" ({host})" if host else "")


def _variants(fragment: str) -> set[str]:
    """A fragment as it may appear in a text: as written, decoded, and encoded."""
    forms = {fragment, urllib.parse.unquote(fragment), urllib.parse.unquote_plus(fragment)}
    forms |= {urllib.parse.quote(f, safe="") for f in list(forms)}
    forms |= {urllib.parse.quote_plus(f, safe="") for f in list(forms)}
    return {f for f in forms if len(f) >= SHORTEST}


def url_fragments(url: str) -> set[str]:
    """Every part of a URL that may carry a secret: all but its scheme and host."""
    fragments = {url.strip()}
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return _expand(fragments | set(re.split(r"[/?&=#@:]", url)))
    userinfo, _, _ = parts.netloc.rpartition("@")
    if userinfo:
        user, _, password = userinfo.partition(":")
        fragments |= {userinfo, user, password, parts.netloc}
        plain = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
        fragments.add(base64.b64encode(plain.encode("utf-8")).decode("ascii"))
    fragments |= {parts.path, parts.query, parts.fragment}
    fragments |= set(parts.path.split("/"))
    for pair in re.split(r"[&;]", parts.query):
        key, _, value = pair.partition("=")
        fragments |= {pair, key, value}
    fragments.add(parts.fragment)
    return _expand(fragments)


def _expand(fragments: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for fragment in fragments:
        if fragment:
            out |= _variants(fragment)
    return out


@dataclass(frozen=True)
class Secrets:
    """What must not appear in any text about one channel."""

    fragments: frozenset[str] = frozenset()

    @classmethod
    def of(cls, channel: Channel) -> Secrets:
        """The channel's URL (inline or from its variable), signing secret and credentials,
        as far as they are set: an unset variable has nothing to leak."""
        fragments: set[str] = set()
        url = _configured_url(channel)
        if url:
            fragments |= url_fragments(url)
        for variable in (channel.secret_env, channel.password_env, channel.username_env):
            value = os.environ.get(variable) if variable else None
            if value:
                fragments |= _variants(value)
        if channel.username:
            fragments |= _variants(channel.username)
        return cls(frozenset(fragments))

    def scrub(self, text: str, limit: int = LONGEST) -> str:
        """The text on one line, at most ``limit`` characters, with every fragment masked
        and every URL cut down to ``scheme://host/…``."""
        for fragment in sorted(self.fragments, key=len, reverse=True):
            text = text.replace(fragment, MASK)
        text = _URL.sub(_url_host_only, text)
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _url_host_only(match: re.Match[str]) -> str:
    """A URL found in foreign text (a redirect's target, an echoed request) keeps its
    scheme and host: enough to see where it points, nothing of its token."""
    scheme, netloc = match.group(1), match.group(2)
    host = netloc.rpartition("@")[2]
    rest = match.group(0)[len(scheme) + 3 + len(netloc) :]
    return f"{scheme}://{host}" + ("/…" if rest.strip("/") else "")
