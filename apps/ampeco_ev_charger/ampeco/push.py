"""AMPECO's live updates: the tenant's laravel-echo-server, spoken to over socket.io 2 / Engine.IO v3.

Only the wire format is here: where the server is (from the tenant's settings and the user's profile), the
frames, and the events' names. Their data is not known, so an event is a signal that something changed,
never data. Keeping a connection alive is the caller's business.
"""

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PING = "2"
SOCKET_PATH = "/socket.io/?EIO=3&transport=websocket"


@dataclass(frozen=True)
class Broadcast:
    """Where the live updates of one user come from."""

    url: str  # the websocket's, ws(s)://host/socket.io/?EIO=3&transport=websocket
    channel: str  # private-{prefix}.user.{id}

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


def _unwrapped(answer: object) -> Mapping[str, Any]:
    """An answer's content, at the top level or under `data` (tenants differ)."""
    if not isinstance(answer, Mapping):
        return {}
    inner = answer.get("data")
    return inner if isinstance(inner, Mapping) and not any(k in answer for k in ("broadcast", "id")) else answer


def broadcast_of(settings: object, profile: object) -> Broadcast | None:
    """From `app/settings/global` and `app/profile`; None when the tenant offers no live updates. Raises
    ValueError for a broadcast server the token must not be sent to (not TLS, and not on this machine)."""
    broadcast = _unwrapped(settings).get("broadcast")
    user = _unwrapped(profile).get("id")
    if not isinstance(broadcast, Mapping) or user is None or isinstance(user, bool):
        return None
    url, prefix = broadcast.get("url"), broadcast.get("channelPrefix")
    if not isinstance(url, str) or not url.strip():
        return None
    parts = urlsplit(url.strip() if "://" in url else f"https://{url.strip()}")
    secure = parts.scheme in ("https", "wss")
    if not secure and not (parts.scheme in ("http", "ws") and _loopback(parts.hostname or "")):
        raise ValueError(f"the tenant's live-update server {parts.netloc} is not reached over TLS")
    socket = urlunsplit(("wss" if secure else "ws", parts.netloc, "", "", "")) + SOCKET_PATH
    channel = f"private-{prefix}.user.{user}" if isinstance(prefix, str) and prefix else f"private-user.{user}"
    return Broadcast(socket, channel)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def subscribe_frame(channel: str, token: str, endpoint: str) -> str:
    """The subscription: the server asks the tenant's backend (named by X-Endpoint) with our token."""
    auth = {"headers": {"Authorization": f"Bearer {token}", "X-Endpoint": endpoint}}
    return "42" + json.dumps(["subscribe", {"channel": channel, "auth": auth}], separators=(",", ":"))


@dataclass(frozen=True)
class Opened:
    """`0{...}`: the server's terms; the client pings every `ping_interval` seconds."""

    ping_interval: float
    ping_timeout: float


@dataclass(frozen=True)
class Event:
    name: str  # the short name: SessionChanged, PersonalEVSEStatusChange, ...
    channel: str


@dataclass(frozen=True)
class SubscriptionError:
    channel: str
    status: int  # the backend's answer to the server's auth request (401 a bad token, 403 not ours; 0 none)


@dataclass(frozen=True)
class Control:
    """Anything else: `40` connected, `3` pong, `41` disconnect, `1` close, and what is not understood."""

    packet: str


Frame = Opened | Event | SubscriptionError | Control


def parse_frame(text: str) -> Frame:
    if text.startswith("0{"):
        try:
            terms = json.loads(text[1:])
        except (ValueError, RecursionError):
            return Control(text[:2])
        if not isinstance(terms, dict):
            return Control(text[:2])
        interval, timeout = terms.get("pingInterval"), terms.get("pingTimeout")
        return Opened(_seconds(interval, 25.0), _seconds(timeout, 20.0))
    if text.startswith("42"):
        try:
            message = json.loads(text[2:])
        except (ValueError, RecursionError):
            return Control("42")
        if isinstance(message, list) and len(message) >= 2 and all(isinstance(m, str) for m in message[:2]):
            name, channel = message[0], message[1]
            if name == "subscription_error":
                status = message[2] if len(message) > 2 and type(message[2]) is int else 0
                return SubscriptionError(channel, status)
            return Event(name.rsplit("\\", 1)[-1], channel)
        return Control("42")
    return Control(text[:2])


# The server's ping terms are taken within these bounds (seconds): a huge interval must never keep a dead
# channel looking alive, a tiny one never make the client ping without pause.
PING_BOUNDS = (1.0, 300.0)


def _seconds(milliseconds: object, default: float) -> float:
    if isinstance(milliseconds, bool) or not isinstance(milliseconds, (int, float)) or not milliseconds > 0:
        return default  # NaN is not > 0 either
    low, high = PING_BOUNDS
    try:
        return min(high, max(low, float(milliseconds) / 1000))
    except OverflowError:  # an integer of hundreds of digits
        return high
