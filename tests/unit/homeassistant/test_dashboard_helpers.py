from types import SimpleNamespace

from ampeco_ev_charger.homeassistant.dashboard_helpers import DashboardHelpers

SWITCH, NUMBER = "input_boolean.ev_charging", "input_number.ev_current"


class WatchingHomeAssistant:
    def __init__(self) -> None:
        self.callbacks = {}

    async def watch(self, entity_id, callback) -> None:
        self.callbacks[entity_id] = callback


class RecordingControls:
    def __init__(self) -> None:
        self.ha = WatchingHomeAssistant()
        self.logbook = None
        self.sent: list[tuple] = []

    async def limit(self, value, by, undo) -> None:
        self.sent.append(("limit", value, by))

    async def charge(self, on, by, limit, undo) -> None:
        self.sent.append(("charge", on, by))


async def started() -> RecordingControls:
    controls = RecordingControls()
    charger = SimpleNamespace(current_limit=16, session_id=None)
    helpers = DashboardHelpers(charger, controls, switch=SWITCH, number=NUMBER, confirming=lambda _c: False)
    await helpers.start()
    return controls


async def test_a_deleted_helper_is_no_value_and_sends_nothing():
    controls = await started()
    await controls.ha.callbacks[NUMBER](None)  # AppDaemon's new state of a deleted entity
    await controls.ha.callbacks[SWITCH](None)
    assert controls.sent == []


async def test_a_changed_number_is_sent_as_a_limit():
    controls = await started()
    await controls.ha.callbacks[NUMBER]("8.0")
    assert controls.sent == [("limit", "8.0", NUMBER)]
