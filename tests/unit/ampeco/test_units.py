import math

import pytest

from ampeco_ev_charger.ampeco.units import ENERGY_UNITS, POWER_UNITS, Units, canonical_unit, to_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(11, 11.0), (3481, 3481.0), (0, 0.0), ("11.1", 11.1), (" 37.221 ", 37.221), ("-2", -2.0), (1e3, 1000.0)],
)
def test_numbers_arrive_as_numbers_or_numeric_strings(raw, expected):
    assert to_number(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", [None, "", "abc", "11,1", True, False, [], {}, math.nan, math.inf, "nan", "inf"])
def test_anything_else_is_no_number(raw):
    assert to_number(raw) is None


def test_defaults_are_the_units_of_the_captures():
    units = Units()
    assert units.kw(3481) == pytest.approx(3.481)
    assert units.kwh(10873) == pytest.approx(10.873)


def test_small_and_large_values_are_never_guessed():
    """A 900 W trickle stays 0.9 kW, a 120 kWh session reported in kWh stays 120 kWh."""
    assert Units().kw(900) == pytest.approx(0.9)
    assert Units(power="kW", energy="kWh").kwh(120) == pytest.approx(120)
    assert Units(power="kW", energy="kWh").kw(0.9) == pytest.approx(0.9)
    assert Units().kwh(50) == pytest.approx(0.05)


def test_conversions_pass_missing_values_through():
    assert Units().kw(None) is None
    assert Units().kwh("n/a") is None


def test_unit_names_are_accepted_in_any_case():
    assert canonical_unit("kwh", ENERGY_UNITS) == "kWh"
    assert canonical_unit(" w ", POWER_UNITS) == "W"
    assert canonical_unit("MW", POWER_UNITS) is None
