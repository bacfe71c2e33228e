import pytest

from ampeco_ev_charger.ampeco.models import Session
from ampeco_ev_charger.runtime.lifecycle import (
    Memory,
    SessionEnded,
    SessionStarted,
    SessionSummary,
    StatusChanged,
    observe,
    reconcile,
    with_final,
)
from ampeco_ev_charger.runtime.memory_file import Saved


def session(sid="1", status="active", energy=1.0, duration=60.0):
    return Session(
        id=sid, status=status, energy_kwh=energy, duration_s=duration, started_at="2025-01-01T00:00:00+00:00"
    )


def kinds(transitions):
    return [type(t).__name__ for t in transitions]


def test_the_first_reading_announces_no_status_change():
    memory = Memory()
    assert observe(memory, "available", None) == []
    assert observe(memory, "preparing", None) == [StatusChanged("available", "preparing")]
    assert observe(memory, "preparing", None) == []


def test_a_session_is_announced_once_and_ended_once():
    memory = Memory()
    observe(memory, "preparing", None)
    assert kinds(observe(memory, "charging", session())) == ["StatusChanged", "SessionStarted"]
    assert observe(memory, "charging", session(energy=2.0)) == []
    ended = observe(memory, "finishing", None)
    assert kinds(ended) == ["StatusChanged", "SessionEnded"]
    assert ended[1].session.energy_kwh == 2.0
    assert observe(memory, "finishing", None) == []
    assert memory.last_session.id == "1" and memory.session is None


def test_a_suspended_session_is_still_the_same_session():
    memory = Memory()
    observe(memory, "charging", session())
    assert kinds(observe(memory, "suspendedEV", session(energy=5.0))) == ["StatusChanged"]
    assert memory.session.energy_kwh == 5.0


def test_energy_never_goes_down_within_a_session():
    memory = Memory()
    observe(memory, "charging", session(energy=5.0))
    observe(memory, "charging", session(energy=4.2))
    observe(memory, "charging", session(energy=None))
    assert memory.session.energy_kwh == 5.0
    (ended,) = [t for t in observe(memory, "available", None) if isinstance(t, SessionEnded)]
    assert ended.session.energy_kwh == 5.0


def test_a_changed_session_id_ends_the_old_and_starts_the_new():
    memory = Memory()
    observe(memory, "charging", session("1", energy=7.0))
    transitions = observe(memory, "charging", session("2", energy=0.1))
    assert [(type(t).__name__, t.session.id) for t in transitions] == [("SessionEnded", "1"), ("SessionStarted", "2")]
    assert transitions[0].session.energy_kwh == 7.0
    assert memory.session.energy_kwh == 0.1


def test_a_finished_session_shown_in_the_evse_completes_the_end():
    memory = Memory()
    observe(memory, "charging", session(energy=3.0, duration=600))
    (ended,) = [
        t
        for t in observe(memory, "finishing", session(status="finished", energy=3.4, duration=660))
        if isinstance(t, SessionEnded)
    ]
    assert (ended.session.energy_kwh, ended.session.duration_min) == (3.4, 11.0)


def test_a_session_that_came_and_went_between_polls_is_still_announced():
    memory = Memory()
    observe(memory, "available", None)
    transitions = observe(memory, "finishing", session("5", status="finished", energy=1.5))
    assert kinds(transitions) == ["StatusChanged", "SessionStarted", "SessionEnded"]
    assert observe(memory, "finishing", session("5", status="finished", energy=1.5)) == []


def test_a_finished_session_seen_at_first_sight_is_history_not_news():
    memory = Memory()
    assert observe(memory, "finishing", session("5", status="finished")) == []


def test_memory_survives_a_restart_without_announcing_twice():
    memory = Memory()
    observe(memory, "charging", session(energy=2.0))
    restored = recall(memory.to_dict())
    assert restored == memory
    assert observe(restored, "charging", session(energy=2.5)) == []
    assert kinds(observe(restored, "available", None)) == ["StatusChanged", "SessionEnded"]


def test_a_session_that_ended_while_the_app_was_down_is_announced_after_it():
    memory = Memory()
    observe(memory, "charging", session(energy=2.0))
    restored = recall(memory.to_dict())
    transitions = observe(restored, "available", None)
    assert [type(t) for t in transitions] == [StatusChanged, SessionEnded]


def recall(value: object, dropped: list[str] | None = None) -> Memory:
    return Memory.from_saved(Saved(value, "chargers.A.memory", [] if dropped is None else dropped))


def test_unusable_memory_starts_empty_and_says_what_it_dropped():
    assert recall(None) == Memory()
    dropped: list[str] = []
    restored = recall({"evse_status": 5, "session": {"no": "id"}, "started": "x", "ended": [1, "2"]}, dropped)
    assert restored == Memory(ended=["2"])
    assert [d.split(" ")[0] for d in dropped] == [
        "chargers.A.memory.evse_status",
        "chargers.A.memory.started",
        "chargers.A.memory.ended",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("energy_kwh", "7.5"),
        ("energy_kwh", -3.0),
        ("energy_kwh", 1e15),
        ("duration_min", "x"),
        ("amount", [1]),
        ("currency", 5),
    ],
)
def test_a_value_of_the_wrong_type_is_dropped_alone(field, value):
    """One bad value in the memory file costs that value: the session and the announced ids stay."""
    saved = {"session": {"id": "s1", "energy_kwh": 2.0, "currency": "DKK", field: value}, "started": ["s1"]}
    dropped: list[str] = []
    restored = recall(saved, dropped)
    assert restored.session is not None and restored.session.id == "s1" and restored.started == ["s1"]
    assert getattr(restored.session, field) is None
    assert dropped == [f"chargers.A.memory.session.{field} ({str(value)[:40]!r})"]


@pytest.mark.parametrize("total", ["7.5", -1, 1e12 * 1e3, float("inf"), True])
def test_an_implausible_meter_is_not_taken_up(total):
    assert recall({"ended_energy_kwh": total}).ended_energy_kwh == 0.0


def test_announced_ids_are_bounded():
    memory = Memory()
    for n in range(120):
        observe(memory, "charging", session(str(n)))
    assert len(memory.started) == 50 and len(memory.ended) == 50
    assert memory.started[-1] == "119"


def test_final_numbers_complete_a_summary_of_the_same_session_only():
    summary = SessionSummary(id="1", energy_kwh=2.0)
    assert with_final(summary, session("1", status="finished", energy=2.2)).energy_kwh == 2.2
    assert with_final(summary, session("2", energy=9.0)) is summary
    assert isinstance(SessionStarted(summary), SessionStarted)


def test_a_session_missing_from_one_answer_while_charging_is_not_ended_yet():
    memory = Memory()
    observe(memory, "charging", session(energy=3.0))
    assert observe(memory, "charging", None) == []  # a glitch until the next answer confirms it
    assert observe(memory, "charging", session(energy=3.5)) == []
    assert observe(memory, "charging", None) == []
    (ended,) = [t for t in observe(memory, "charging", None) if isinstance(t, SessionEnded)]
    assert ended.session.energy_kwh == 3.5
    assert observe(memory, "charging", session(energy=3.6)) == []  # and if it comes back, no second start
    assert [type(t) for t in observe(memory, "available", None)] == [StatusChanged]  # nor a second end


def test_a_session_gone_with_the_evse_finishing_ends_at_once():
    memory = Memory()
    observe(memory, "charging", session())
    assert kinds(observe(memory, "finishing", None)) == ["StatusChanged", "SessionEnded"]


def test_the_energy_meter_counts_every_kwh_once():
    memory = Memory()
    observe(memory, "charging", session("1", energy=2.0))
    assert memory.total_energy_kwh == 2.0
    observe(memory, "charging", session("1", energy=5.0))
    observe(memory, "charging", session("1", energy=4.0))  # a glitch backwards changes nothing
    assert memory.total_energy_kwh == 5.0
    observe(memory, "finishing", None)
    assert memory.total_energy_kwh == 5.0
    memory.finalise(SessionSummary(id="1", energy_kwh=5.3))  # the session's own answer: final numbers
    assert memory.total_energy_kwh == pytest.approx(5.3)
    observe(memory, "charging", session("2", energy=1.0))
    restored = recall(memory.to_dict())  # a restart in the middle of session 2
    assert restored.total_energy_kwh == pytest.approx(6.3)
    observe(restored, "charging", session("2", energy=1.5))
    observe(restored, "available", None)
    assert restored.total_energy_kwh == pytest.approx(6.8)


def test_the_meter_after_a_session_came_back_from_a_glitch():
    memory = Memory()
    observe(memory, "charging", session("1", energy=2.0))
    observe(memory, "charging", None)
    observe(memory, "charging", None)  # ended (wrongly) at 2.0 kWh
    observe(memory, "charging", session("1", energy=3.0))  # it is back
    assert memory.total_energy_kwh == pytest.approx(3.0)
    observe(memory, "finishing", None)
    assert memory.total_energy_kwh == pytest.approx(3.0)
    assert memory.last_session.energy_kwh == 3.0


def test_missed_sessions_add_to_the_meter_and_the_newest_stays_the_last():
    memory = Memory()
    observe(memory, "available", None)
    late = Session(
        id="8",
        status="finished",
        energy_kwh=4.0,
        started_at="2025-01-02T10:00:00+00:00",
        stopped_at="2025-01-02T11:00:00+00:00",
    )
    early = Session(
        id="7",
        status="finished",
        energy_kwh=1.0,
        started_at="2025-01-02T08:00:00+00:00",
        stopped_at="2025-01-02T09:00:00+00:00",
    )
    transitions = reconcile(memory, [late, early], since=0)
    assert [(type(t).__name__, t.session.id) for t in transitions] == [
        ("SessionStarted", "7"),
        ("SessionEnded", "7"),
        ("SessionStarted", "8"),
        ("SessionEnded", "8"),
    ]
    assert memory.total_energy_kwh == 5.0 and memory.last_session.id == "8"
    assert reconcile(memory, [late, early], since=0) == []
