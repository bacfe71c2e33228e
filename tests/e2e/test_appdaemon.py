"""The app installed as a user installs it, inside a real AppDaemon 4.5 process, against the simulator."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo import appdaemon as ad
from demo.processes import Process, free_port, http_json, simulator, wait_for
from harness.stack import CP1, CP2

TOKEN = "e2e-token-5d8c2b"


@dataclass
class Stack:
    api: ad.AppDaemonApi
    config: Path
    process: Process
    simulator_url: str

    @property
    def apps_yaml(self) -> Path:
        return self.config / "apps" / "apps.yaml"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with simulator(tmp_path, TOKEN) as sim:
        port, config = free_port(), tmp_path / "conf"
        chargers = [{"chargepoint_id": CP1, "name": "Driveway"}, {"chargepoint_id": CP2}]
        ad.install(
            config, port, ad.apps_yaml(sim, chargers, charging_interval=5, idle_interval=60), {"ampeco_token": TOKEN}
        )
        process = ad.start(config, tmp_path / "appdaemon.log")
        api = ad.AppDaemonApi(f"http://127.0.0.1:{port}")
        try:
            api.wait_value("sensor.evse_ace0549935_evse_status", lambda v: v == "preparing", timeout=60)
            yield Stack(api, config, process, sim)
        finally:
            process.stop()
            print(process.output()[-4000:])


def test_appdaemon_runs_the_app_as_installed(stack: Stack):
    api = stack.api
    status = api.state("sensor.evse_ace0549935_charging_session")
    assert status["attributes"]["friendly_name"] == "Driveway Charging Session"
    assert status["attributes"]["unit_of_measurement"] == "kW"
    assert api.value("sensor.evse_qng0c18010_evse_status") == "available"
    for key in (
        "charger_status",
        "charging_session",
        "charging_current",
        "charging_energy",
        "charging_duration",
        "evse_status",
        "polling_interval",
        "max_current",
        "last_month_energy",
        "session_id",
    ):
        assert api.state(f"sensor.evse_qng0c18010_{key}") is not None, key

    api.fire("ampeco_ev_charger_start_charging", chargepoint_id=CP1, max_current=10)
    api.wait_value("sensor.evse_ace0549935_evse_status", lambda v: v == "charging", timeout=20)
    api.wait_value("sensor.evse_ace0549935_charging_session", lambda v: v and float(v) > 0, timeout=20)
    assert api.value("sensor.evse_ace0549935_charging_current") == "10"
    session_id = api.value("sensor.evse_ace0549935_session_id")
    assert session_id not in (None, "none")

    api.fire("ampeco_ev_charger_stop_charging", chargepoint_id=CP1)
    api.wait_value("sensor.evse_ace0549935_session_id", lambda v: v == "none", timeout=20)
    log = stack.process.output()
    assert f"session {session_id} started" in log and f"session {session_id} ended" in log
    assert (stack.config / "ampeco_ev_charger.state.json").exists()  # memory for the next restart


def test_a_reload_leaves_no_unclosed_session_and_keeps_working(stack: Stack):
    stack.apps_yaml.write_text(stack.apps_yaml.read_text().replace("name: Driveway", "name: Carport"))
    wait_for(
        "the reloaded app",
        lambda: (
            stack.api.state("sensor.evse_ace0549935_evse_status")["attributes"]["friendly_name"]
            == "Carport EVSE Status"
        ),
        timeout=30,
    )
    code = stack.process.stop()
    log = stack.process.output()
    assert code == 0
    assert "Unclosed client session" not in log and "Traceback" not in log
    assert log.count("Calling terminate() for 'ampeco_ev_charger'") == 2


def test_a_bad_configuration_stops_only_this_app(stack: Stack):
    stack.apps_yaml.write_text(stack.apps_yaml.read_text().replace("charging_interval: 5", "charging_interval: soon"))
    wait_for(
        "the configuration error",
        lambda: "configuration error in `charging_interval`" in stack.process.output(),
        timeout=30,
    )
    # Shown on the chargers' entities after it was logged: the app is done refusing, AppDaemon still answers.
    problem = "binary_sensor.evse_ace0549935_problem"
    stack.api.wait_value(problem, lambda v: v == "on", timeout=30)
    assert "charging_interval" in stack.api.state(problem)["attributes"]["reason"]
    assert stack.process.alive()
    assert stack.process.output().count("configuration error in `charging_interval`") == 1
    assert "Traceback" not in stack.process.output()


def test_a_token_replaced_in_secrets_yaml_is_taken_up_without_restarting_anything(stack: Stack):
    """The documented step when a token ends or is revoked: put the new one in secrets.yaml. AppDaemon reads that
    file only when it starts; the app reads it itself."""
    problem = "binary_sensor.evse_ace0549935_problem"
    http_json("DELETE", f"{stack.simulator_url}/_sim/tokens", {"token": TOKEN})  # logged out everywhere
    stack.api.fire("ampeco_ev_charger_update_data")
    stack.api.wait_value(problem, lambda v: v == "on", timeout=30)
    assert "secrets.yaml under `ampeco_token`" in stack.api.state(problem)["attributes"]["reason"]

    new = http_json("POST", f"{stack.simulator_url}/_sim/tokens", {"account": TOKEN, "refresh": False})
    secrets = stack.config / "secrets.yaml"
    secrets.write_text(secrets.read_text().replace(TOKEN, new["access_token"]))
    replaced = time.monotonic()
    stack.api.wait_value(problem, lambda v: v == "off", timeout=120)
    print(f"a replaced token was taken up {time.monotonic() - replaced:.1f} s after secrets.yaml was written")
    stack.api.wait_value("sensor.evse_ace0549935_evse_status", lambda v: v == "preparing", timeout=30)
    log = stack.process.output()
    assert "a new AMPECO token was found in secrets.yaml (under `ampeco_token`)" in log
    assert new["access_token"] not in log and "Traceback" not in log
