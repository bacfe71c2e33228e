import zoneinfo

import pytest

from ampeco_ev_charger.homeassistant.exports import SESSIONS_EXPORTED, SessionExports


class FakeHomeAssistant:
    def __init__(self) -> None:
        self.fired: list[tuple[str, dict]] = []

    async def fire(self, event: str, data: dict) -> None:
        self.fired.append((event, data))

    def timezone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo("Europe/Copenhagen")


class EmptyLog:
    def sessions(self, start, end, chargepoint_id):
        return [], None


@pytest.mark.parametrize(
    "data",
    [
        {"month": "9999-12"},
        {"month": "0001-01"},
        {"start": "0001-01-01", "end": "0001-01-05"},
        {"start": "9999-12-01", "end": "9999-12-31"},
    ],
)
async def test_a_period_at_the_calendars_edge_is_answered_once_as_an_invalid_value(tmp_path, data):
    ha = FakeHomeAssistant()
    await SessionExports(ha, EmptyLog(), tmp_path, lambda: ["ACE0549935"]).handle(data)
    ((event, answer),) = ha.fired
    assert event == SESSIONS_EXPORTED and answer["success"] is False and answer["reason"] == "invalid_value"
    assert "outside the years this can handle" in answer["error"]
    assert list(tmp_path.iterdir()) == []
