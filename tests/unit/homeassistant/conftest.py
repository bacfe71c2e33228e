import pytest

from ampeco_ev_charger.ampeco.models import charge_point_items, parse_charge_point
from ampeco_ev_charger.ampeco.units import Units


@pytest.fixture
def charge_point(fixture):
    """The first charge point of the captured list, as the app reads it."""
    return parse_charge_point(charge_point_items(fixture("charge-points-list.json"))[0], Units()).charge_point
