import pytest

from ampeco_ev_charger.ampeco.units import Units
from ampeco_ev_charger.config import CHARGER_KEYS, KEYS, TOP_LEVEL_KEYS, parse_config
from ampeco_ev_charger.const import DEFAULT_API_HOST, slugify
from ampeco_ev_charger.validate import ConfigError

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-part"


def config(**args):
    return parse_config({"auth_token": TOKEN, **args})


def error(**args) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_config(args)
    return caught.value


def test_contract_example_with_defaults():
    cfg = config(
        chargers=[
            {
                "chargepoint_id": "QNG0C18010",
                "name": "My House",
                "evse_id": "148964",
                "units": {"power": "W", "energy": "Wh"},
            }
        ]
    )
    (charger,) = cfg.chargers
    assert (charger.chargepoint_id, charger.name, charger.evse_id, charger.slug) == (
        "QNG0C18010",
        "My House",
        "148964",
        "qng0c18010",
    )
    assert charger.api_host == DEFAULT_API_HOST and charger.account.auth_token == TOKEN
    assert (cfg.runtime.charging_interval, cfg.runtime.idle_interval) == (30, 300)


def test_a_single_charger_may_be_given_at_the_top_level_named_by_charger_name():
    """AppDaemon sets every app's `name` to the app's own key: the short form's name is `charger_name`."""
    args = {"name": "ampeco_ev_charger", "charger_name": "Garage", "units": {"power": "kw", "energy": "KWH"}}
    cfg = config(chargepoint_id="ACE0549935", **args)
    (charger,) = cfg.chargers
    assert (charger.chargepoint_id, charger.name, charger.units) == ("ACE0549935", "Garage", Units("kW", "kWh"))
    assert config(chargepoint_id="A", name="ampeco_ev_charger").chargers[0].name is None  # never the app's name


def test_without_chargers_every_charger_on_the_account_is_watched():
    cfg = config(api_host="megatel.eu.charge.ampeco.tech", units={"power": "kW"}, max_current=16)
    assert cfg.chargers == ()
    (account,) = cfg.runtime.discover
    assert (account.api_host, account.units, account.max_current) == (
        "https://megatel.eu.charge.ampeco.tech",
        Units("kW", "Wh"),
        16,
    )
    assert cfg.runtime.accounts == (account,)
    for key in ("charging_switch", "smart_charging", "evse_id"):
        assert "belongs to a charger" in error(auth_token=TOKEN, **{key: "input_boolean.x"}).problem


def test_with_a_chargers_list_top_level_units_and_cap_hold_for_every_charger_that_gives_none():
    """Both describe the account's hardware; a charger's own entry wins."""
    cfg = config(
        units={"power": "kW", "energy": "kWh"},
        max_current=16,
        chargers=[{"chargepoint_id": "A"}, {"chargepoint_id": "B", "units": {"power": "W"}, "max_current": 10}],
    )
    assert [(c.units, c.max_current) for c in cfg.chargers] == [(Units("kW", "kWh"), 16), (Units("W", "Wh"), 10)]
    assert error(auth_token=TOKEN, max_current=40, chargers=[{"chargepoint_id": "A"}]).key == "max_current"


@pytest.mark.parametrize("key", ["charger_name", "evse_id", "charging_switch", "current_limit", "smart_charging"])
def test_with_a_chargers_list_a_top_level_key_of_one_charger_is_refused_never_ignored(key):
    wrong = error(auth_token=TOKEN, chargers=[{"chargepoint_id": "A"}], **{key: "x"})
    assert wrong.key == key and "put it in that charger's entry" in wrong.problem


def test_a_charger_may_cap_its_current():
    cfg = config(chargers=[{"chargepoint_id": "A", "max_current": "13"}, {"chargepoint_id": "B"}])
    assert [c.max_current for c in cfg.chargers] == [13, None]
    assert (
        error(auth_token=TOKEN, chargers=[{"chargepoint_id": "A", "max_current": 40}]).key == "chargers[0].max_current"
    )
    assert (
        error(auth_token=TOKEN, chargers=[{"chargepoint_id": "A", "max_current": 10.5}]).key
        == "chargers[0].max_current"
    )


def test_each_charger_may_override_token_and_host():
    cfg = config(
        chargers=[
            {"chargepoint_id": "A"},
            {"chargepoint_id": "B", "auth_token": "other", "api_host": "megatel.eu.charge.ampeco.tech"},
        ]
    )
    a, b = cfg.chargers
    assert a.account.key == (DEFAULT_API_HOST, TOKEN)
    assert b.account.key == ("https://megatel.eu.charge.ampeco.tech", "other")


def test_hosts_are_normalised():
    assert (
        config(chargepoint_id="A", api_host="https://x.charge.ampeco.tech/api/v1/").chargers[0].api_host
        == "https://x.charge.ampeco.tech"
    )
    assert config(chargepoint_id="A", api_host="http://127.0.0.1:8089").chargers[0].api_host == "http://127.0.0.1:8089"
    assert config(chargepoint_id="A", api_host="http://localhost:1/").chargers[0].api_host == "http://localhost:1"


def test_numbers_may_be_given_as_text():
    assert config(chargepoint_id=123, charging_interval="45").chargers[0].chargepoint_id == "123"
    assert config(chargepoint_id="A", charging_interval="45").runtime.charging_interval == 45


@pytest.mark.parametrize(
    ("args", "key"),
    [
        ({"chargepoint_id": "A"}, "auth_token"),
        ({"auth_token": "", "chargepoint_id": "A"}, "auth_token"),
        ({"auth_token": TOKEN, "chargers": []}, "chargers"),
        ({"auth_token": TOKEN, "api_host": "https://me:pw@megatel.eu.charge.ampeco.tech"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "https://me@x.charge.ampeco.tech"}, "api_host"),
        ({"auth_token": TOKEN, "chargers": ["A"]}, "chargers[0]"),
        ({"auth_token": TOKEN, "chargers": [{"name": "x"}]}, "chargers[0].chargepoint_id"),
        ({"auth_token": TOKEN, "chargers": [{"chargepoint_id": "A", "auth_token": None}]}, "chargers[0].auth_token"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "chargers": [{"chargepoint_id": "B"}]}, "chargepoint_id"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "charging_interval": "fast"}, "charging_interval"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "idle_interval": [300]}, "idle_interval"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "charging_interval": 1}, "charging_interval"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "charging_interval": 60, "idle_interval": 30}, "idle_interval"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "http://megatel.eu.charge.ampeco.tech"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "ftp://x"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "https://[::1"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "http://127.0.0.1:99999"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "http://127.0.0.1:abc"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "http://127.0.0.1:0"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": 10**400}, "chargepoint_id"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "state_file": "/config/a\x00b.json"}, "state_file"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "secrets_file": "/config/secrets\n.yaml"}, "secrets_file"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "https://a b.example"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "https://a\x00b.example"}, "api_host"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "charging_interval": 10**400}, "charging_interval"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "max_current": -(10**400)}, "max_current"),
        (
            {"auth_token": TOKEN, "chargers": [{"chargepoint_id": "A", "api_host": "http://10.0.0.2"}]},
            "chargers[0].api_host",
        ),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "units": {"power": "MW"}}, "units.power"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "units": {"energy": "J"}}, "units.energy"),
        ({"auth_token": TOKEN, "chargepoint_id": "A", "units": "W"}, "units"),
        (
            {"auth_token": TOKEN, "chargers": [{"chargepoint_id": "A"}, {"chargepoint_id": "A"}]},
            "chargers[1].chargepoint_id",
        ),
        (
            {"auth_token": TOKEN, "chargers": [{"chargepoint_id": "AB-1"}, {"chargepoint_id": "ab_1"}]},
            "chargers[1].chargepoint_id",
        ),
    ],
)
def test_mistakes_name_the_key(args, key):
    err = error(**args)
    assert err.key == key
    assert f"`{key}`" in str(err)


def test_a_number_of_hundreds_of_digits_is_refused_in_a_short_sentence():
    err = error(auth_token=TOKEN, chargepoint_id="A", charging_interval=10**400)
    assert err.problem == "must be between 5 and 3600, got a number too long to show"


def test_a_port_outside_1_to_65535_is_refused_not_retried_as_unreachable():
    err = error(auth_token=TOKEN, chargepoint_id="A", api_host="http://127.0.0.1:99999")
    assert err.problem == "has a port that is not a number from 1 to 65535"


def test_errors_never_show_the_token():
    for args in (
        {"auth_token": TOKEN, "chargepoint_id": "A", "api_host": "http://example.com"},
        {"auth_token": TOKEN, "chargers": [{"chargepoint_id": "A"}, {"chargepoint_id": "A"}]},
        {"auth_token": TOKEN, "chargepoint_id": "A", "charging_interval": "x"},
    ):
        assert TOKEN not in str(error(**args))
    assert TOKEN not in repr(config(chargepoint_id="A"))


def test_unknown_keys_are_warned_about_not_fatal_naming_the_key_probably_meant():
    cfg = config(chargepoint_id="A", charging_intervall=10, module="ampeco_ev_charger.app", **{"class": "X"})
    assert cfg.warnings == ("unknown key `charging_intervall` ignored; did you mean `charging_interval`?",)
    cfg = config(chargers=[{"chargepoint_id": "A", "evseid": "1", "colour": "red"}])
    assert cfg.warnings == (
        "unknown key `chargers[0].colour` ignored",
        "unknown key `chargers[0].evseid` ignored; did you mean `evse_id`?",
    )


def test_credentials_in_the_host_are_refused_and_never_repeated():
    err = error(auth_token=TOKEN, api_host="https://me:s3cr3t@megatel.eu.charge.ampeco.tech")
    assert "must not hold a user name or password" in str(err) and "s3cr3t" not in str(err)
    for host in ("https://me:s3cr3t@[::1", "https://me:s3cr3t@megatel.eu.charge.ampeco.tech:99999"):
        assert "s3cr3t" not in str(error(auth_token=TOKEN, api_host=host))


def test_slug_replaces_everything_outside_a_to_z_and_digits():
    assert slugify("QNG0C18010") == "qng0c18010"
    assert slugify("My-Charger.1 ü") == "my_charger_1__"


def test_dashboard_helpers_per_charger():
    cfg = config(
        chargers=[
            {
                "chargepoint_id": "A",
                "charging_switch": "input_boolean.ev_charging",
                "current_limit": "input_number.ev_amps",
            }
        ]
    )
    extras = cfg.extras["A"]
    assert (extras.charging_switch, extras.current_limit) == ("input_boolean.ev_charging", "input_number.ev_amps")
    assert (
        config(chargepoint_id="A", charging_switch="input_boolean.x").extras["A"].charging_switch == "input_boolean.x"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("charging_switch", "switch.ev"),
        ("current_limit", "input_boolean.x"),
        ("charging_switch", "input_boolean.Bad Name"),
    ],
)
def test_dashboard_helpers_must_be_helpers_of_the_right_kind(key, value):
    assert error(auth_token=TOKEN, chargers=[{"chargepoint_id": "A", key: value}]).key == f"chargers[0].{key}"


def test_counts_are_whole_and_durations_are_seconds():
    err = error(auth_token=TOKEN, chargepoint_id="A", max_concurrent_requests=2.5)
    assert err.key == "max_concurrent_requests" and "must be a whole number, got 2.5" in err.problem
    assert config(chargepoint_id="A", max_concurrent_requests="4").runtime.max_concurrent_requests == 4
    assert (
        "must be a number of seconds, got 'fast'"
        in error(auth_token=TOKEN, chargepoint_id="A", charging_interval="fast").problem
    )


def test_a_refresh_grant_goes_with_its_token_all_three_or_none():
    grant = {"refresh_token": "r1", "client_id": "app", "client_secret": "s"}
    cfg = config(**grant, chargers=[{"chargepoint_id": "A"}, {"chargepoint_id": "B", "auth_token": "other"}])
    a, b = (c.account for c in cfg.chargers)
    assert a.client is not None
    assert (a.refresh_token, a.client.client_id) == ("r1", "app")
    assert (b.refresh_token, b.client) == (None, None)  # another account's token: not this refresh token
    assert {"r1", "s", TOKEN, "other"} <= set(cfg.runtime.secrets)
    err = error(auth_token=TOKEN, chargepoint_id="A", refresh_token="r1", client_id="app")
    assert err.key == "client_secret" and "all three" in err.problem


def test_every_key_the_parser_reads_is_a_documented_row():
    """The documentation's configuration table is generated from KEYS: a key read but not listed, or
    listed but unread, would make it lie."""
    import inspect

    from ampeco_ev_charger import config as module

    source = inspect.getsource(module)
    for key in KEYS:
        assert f'"{key.name}"' in source.replace(f'name="{key.name}"', ""), key.name
    assert {k.name for k in KEYS} == TOP_LEVEL_KEYS | CHARGER_KEYS
