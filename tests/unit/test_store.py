import json

from ampeco_ev_charger.runtime.store import Store


def test_saved_data_comes_back(tmp_path):
    store = Store(tmp_path / "sub" / "state.json")
    store.save({"chargers": {"A": {"memory": {"evse_status": "charging"}}}})
    data, problem = store.load()
    assert problem is None and data["chargers"]["A"]["memory"]["evse_status"] == "charging"
    assert [p.name for p in store.path.parent.iterdir()] == ["state.json"]  # no temp file left behind


def test_no_file_yet_is_a_fresh_start(tmp_path):
    assert Store(tmp_path / "state.json").load() == ({}, None)


def test_an_unreadable_file_is_set_aside_not_fatal(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    data, problem = Store(path).load()
    assert data == {} and "moved it to state.json.unreadable" in problem
    assert (tmp_path / "state.json.unreadable").read_text() == "{not json"
    path.write_text(json.dumps({"version": 99}))
    assert Store(path).load()[0] == {}


def test_the_memory_file_is_the_owners_alone(tmp_path):
    """It may hold a renewed token and its refresh token."""
    path = tmp_path / "state.json"
    path.write_text("{}")
    path.chmod(0o644)  # as an older version left it
    Store(path).save({"accounts": {}})
    assert path.stat().st_mode & 0o777 == 0o600
