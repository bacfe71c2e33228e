"""Which EVSE a session runs on: by its printed identifier, never by the EVSE's internal id."""

from ampeco_ev_charger.ampeco import Evse, Session, session_on

OURS = Evse(id="148964", identifier="2317")


def test_a_session_is_ours_when_it_names_our_evses_identifier():
    assert session_on(Session("1", evse_identifier="2317"), "ACE0549935", OURS)


def test_a_session_naming_our_evses_internal_id_is_someone_elses():
    """On tenants where ids and identifiers share one range, our id is another EVSE's printed number."""
    assert not session_on(Session("1", evse_identifier="148964"), "ACE0549935", OURS)


def test_without_an_evse_a_session_may_name_our_charge_point():
    assert session_on(Session("1", charge_point_id="ACE0549935"), "ACE0549935", OURS)
    assert not session_on(Session("1", charge_point_id="OTHER"), "ACE0549935", OURS)
    assert not session_on(Session("1"), "ACE0549935", OURS)  # naming nothing, it is no one's we know
