"""Issue 19, MQTT commands against a real broker: a retained or empty command is no command, and every payload
that is not one gets exactly one plain refusal and no request to the cloud."""

import pytest

from harness.fake_mqtt import HomeAssistantMqtt
from harness.stack import CP1, SLUG1, Stack

from .test_mqtt_discovery import BASE, answered, broker, mqtt_stack, started  # noqa: F401  (the broker fixture)

RESULT = "ampeco_ev_charger_command_result"
CHARGE, LIMIT = f"{BASE}/{SLUG1}/charge/set", f"{BASE}/{SLUG1}/current_limit/set"
STOP, REFRESH = f"{BASE}/{SLUG1}/stop_charging/set", f"{BASE}/{SLUG1}/refresh/set"


def retain(ha: HomeAssistantMqtt, topic: str, payload: str) -> None:
    """A retained message left on the broker (a user's mistake, another tool, an old Home Assistant)."""
    ha.client.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)


async def behind(s: Stack, ha: HomeAssistantMqtt, since: int = 0) -> list[dict]:
    """Once the app acts on commands (what the broker held before is behind it), press refresh and wait for its
    answer: whatever came before it on the command topics has been handled by then. Returns the other results
    since the `since`th."""

    def acting() -> bool:  # the app (the one started last) acts on commands
        lines = list(s.fake.lines())
        return sum("act from now on" in m for m in lines) >= sum(m.endswith(" starting") for m in lines)

    await s.fake.run_until("the app acting on commands", acting)
    mark = len(s.fake.fired(RESULT))
    ha.send(REFRESH, "PRESS")
    await s.fake.run_until(
        "the refresh's result", lambda: any(r["command"] == "update_data" for r in s.fake.fired(RESULT)[mark:])
    )
    return [r for r in s.fake.fired(RESULT)[since:] if r["command"] != "update_data"]


async def test_a_retained_on_for_the_charge_switch_starts_nothing_at_start_or_restart(tmp_path, broker):  # noqa: F811
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        retain(ha, CHARGE, "on")
        await started(s, ha)
        await behind(s, ha)
        await s.restart(mqtt=True)
        await behind(s, ha)
        assert s.requests("app/session/start") == []
        assert s.model.chargers[CP1].session is None


@pytest.mark.parametrize("how", ["retained", "empty"])
async def test_a_retained_or_empty_message_on_the_stop_button_stops_nothing(tmp_path, broker, how):  # noqa: F811
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        s.charge_from_phone()
        if how == "retained":
            retain(ha, STOP, "PRESS")
        await started(s, ha)
        if how == "empty":
            ha.send(STOP, "")  # Home Assistant's way of clearing a retained message
        await behind(s, ha)
        assert [r.path for r in s.requests(method="POST")] == []
        assert s.model.chargers[CP1].session is not None


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        (CHARGE, "ON", "invalid_value"),
        (CHARGE, "1", "invalid_value"),
        (CHARGE, "abc", "invalid_value"),
        (CHARGE, "NaN", "invalid_value"),
        (LIMIT, "abc", "invalid_value"),
        (LIMIT, "NaN", "invalid_value"),
        (LIMIT, "10.5", "invalid_value"),
        (LIMIT, "", "invalid_value"),
        (LIMIT, "40", "out_of_range"),
        (LIMIT, "20", "out_of_range"),  # within 6-32 A, above this charger's 16 A
    ],
    ids=lambda value: repr(value) if isinstance(value, str) and "/" not in value else value.rsplit("/", 2)[-2],
)
async def test_a_payload_that_is_no_command_gets_one_refusal_and_no_request(tmp_path, broker, topic, payload, reason):  # noqa: F811
    async with mqtt_stack(tmp_path, broker) as (s, ha):
        await started(s, ha)
        await behind(s, ha)  # the app takes commands by now
        results, requests = len(s.fake.fired(RESULT)), len(s.requests())
        ha.send(topic, payload)
        answers = await behind(s, ha, results)
        assert len(answers) == 1, f"payload {payload!r} on {topic}: {answers}"
        assert answers[0]["success"] is False and answers[0].get("reason") == reason, answers[0]
        assert [(r.method, r.path) for r in s.requests()[requests:] if r.method != "GET"] == []
        assert s.model.chargers[CP1].session is None and s.model.chargers[CP1].max_current_a == 16
