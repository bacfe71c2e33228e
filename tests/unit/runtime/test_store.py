"""The memory file on disk: it comes back, it is the owner's alone, and it is never thrown away."""

import json
import os

import pytest

from ampeco_ev_charger.runtime.store import MAX_BYTES, Store


def test_saved_data_comes_back(tmp_path):
    store = Store(tmp_path / "sub" / "state.json")
    store.save({"chargers": {"A": {"memory": {"evse_status": "charging"}}}})
    loaded = store.load()
    assert loaded.problem is None and loaded.data["chargers"]["A"]["memory"]["evse_status"] == "charging"
    assert [p.name for p in store.path.parent.iterdir()] == ["state.json"]  # no temp file left behind


def test_no_file_yet_is_a_fresh_start(tmp_path):
    loaded = Store(tmp_path / "state.json").load()
    assert (loaded.data, loaded.problem, loaded.locked, loaded.set_aside) == ({}, None, False, False)


@pytest.mark.parametrize("text", ["{not json", json.dumps({"version": 99}), "[1]", "[" * 100_000])
def test_a_file_that_is_not_ours_is_set_aside_and_kept(tmp_path, text):
    path = tmp_path / "state.json"
    path.write_text(text)
    loaded = Store(path).load()
    assert loaded.data == {} and loaded.set_aside and "kept as state.json.unreadable" in (loaded.problem or "")
    assert (tmp_path / "state.json.unreadable").read_text() == text


def test_a_file_that_cannot_be_read_is_never_written_over(tmp_path):
    """A folder in its place stands for permissions or an I/O error: the only valid refresh token may be
    in it, so nothing is saved until the user has put it right."""
    path = tmp_path / "state.json"
    path.mkdir()
    store = Store(path)
    loaded = store.load()
    assert loaded.locked and "cannot read the app's memory file" in (loaded.problem or "")
    assert "nothing is saved until it can be read" in (loaded.problem or "")
    with pytest.raises(PermissionError):
        store.save({"accounts": {}})
    assert path.is_dir() and not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_fifo_or_a_huge_file_in_its_place_is_never_read_nor_written_over(tmp_path, kind):
    """A FIFO would block the load for ever, a huge file fill AppDaemon's memory: neither is the app's file."""
    path = tmp_path / "state.json"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        with path.open("wb") as file:
            file.truncate(MAX_BYTES + 1)
    store = Store(path)
    loaded = store.load()
    why = "not a regular file" if kind == "fifo" else "larger than 4096 KB"
    assert loaded.locked and f"cannot read the app's memory file {path} ({why})" in (loaded.problem or "")
    with pytest.raises(PermissionError):
        store.save({"accounts": {}})


def test_temp_files_a_kill_left_behind_are_removed_at_start(tmp_path):
    """They may hold tokens, and are of no use."""
    path = tmp_path / "state.json"
    Store(path).save({"accounts": {}})
    (tmp_path / "state.json1a2b3c.tmp").write_text('{"accounts": {"refresh_token": "r"}}')
    (tmp_path / "other.tmp").write_text("not ours")
    Store(path).load()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.tmp", "state.json"]


def test_the_memory_file_is_the_owners_alone(tmp_path):
    """It may hold a renewed token and its refresh token."""
    path = tmp_path / "state.json"
    path.write_text("{}")
    path.chmod(0o644)  # as an older version left it
    Store(path).save({"accounts": {}})
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_save_is_synced_with_its_folder(tmp_path, monkeypatch):
    """A power cut right after a token renewal keeps the renewed token: the file and the rename are on disk."""
    synced: list[int] = []
    real = __import__("os").fsync
    monkeypatch.setattr("ampeco_ev_charger.runtime.files.os.fsync", lambda fd: synced.append(fd) or real(fd))
    Store(tmp_path / "state.json").save({"accounts": {}})
    assert len(synced) == 2  # the file, then its folder
