"""The live-update wire format: where the server is, and what its frames say."""

import pytest

from ampeco_ev_charger.ampeco.push import (
    Control,
    Event,
    Opened,
    SubscriptionError,
    broadcast_of,
    parse_frame,
    subscribe_frame,
)

SETTINGS = {"broadcast": {"url": "https://echo.au.charge.ampeco.tech", "channelPrefix": "exploren"}}


@pytest.mark.parametrize("wrap", [False, True])
def test_where_live_updates_come_from_at_the_top_or_under_data(wrap):
    settings, profile = SETTINGS, {"id": 4711, "email": "x"}
    if wrap:
        settings, profile = {"data": settings}, {"data": profile}
    broadcast = broadcast_of(settings, profile)
    assert broadcast.url == "wss://echo.au.charge.ampeco.tech/socket.io/?EIO=3&transport=websocket"
    assert broadcast.channel == "private-exploren.user.4711" and broadcast.host == "echo.au.charge.ampeco.tech"


def test_a_tenant_without_a_broadcast_server_has_no_live_updates():
    assert broadcast_of({"currency": "DKK"}, {"id": 1}) is None
    assert broadcast_of(SETTINGS, {"name": "no id"}) is None
    assert broadcast_of({"broadcast": {"url": ""}}, {"id": 1}) is None


def test_the_token_never_goes_to_a_broadcast_server_without_tls_but_on_this_machine():
    with pytest.raises(ValueError, match="not reached over TLS"):
        broadcast_of({"broadcast": {"url": "http://echo.example.com", "channelPrefix": "x"}}, {"id": 1})
    local = broadcast_of({"broadcast": {"url": "http://127.0.0.1:6001", "channelPrefix": "x"}}, {"id": 1})
    assert local.url.startswith("ws://127.0.0.1:6001/socket.io/")


def test_the_subscription_names_the_channel_the_token_and_the_tenant():
    frame = subscribe_frame("private-x.user.1", "tok", "https://x.charge.ampeco.tech/api/v1")
    assert frame == (
        '42["subscribe",{"channel":"private-x.user.1","auth":{"headers":{"Authorization":"Bearer tok",'
        '"X-Endpoint":"https://x.charge.ampeco.tech/api/v1"}}}]'
    )


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ('0{"sid":"a","upgrades":[],"pingInterval":25000,"pingTimeout":20000}', Opened(25.0, 20.0)),
        ("40", Control("40")),
        ("3", Control("3")),
        (
            '42["App\\\\Events\\\\SessionChanged","private-x.user.1",{"session":{}}]',
            Event("SessionChanged", "private-x.user.1"),
        ),
        ('42["subscription_error","private-x.user.1",401]', SubscriptionError("private-x.user.1", 401)),
        ('42["subscription_error","private-x.user.1"]', SubscriptionError("private-x.user.1", 0)),
        ("42[not json", Control("42")),
        ("0{broken", Control("0{")),
    ],
)
def test_frames(text, frame):
    assert parse_frame(text) == frame
