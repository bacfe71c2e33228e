"""Test tiers by folder, and async tests run on a fresh event loop with a hard wall-clock bound."""

import asyncio
import inspect
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "e2e", "soak")
DEFAULT_TIMEOUT = 30.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test's tier is the folder under tests/ it lives in (at any depth: tests/unit/smart is unit)."""
    for item in items:
        tier = next((p.name for p in Path(item.fspath).parents if p.name in TIERS), None)
        if tier is not None:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run `async def` tests without a plugin: one event loop per test, bounded by `timeout`."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    marker = pyfuncitem.get_closest_marker("timeout")
    timeout = float(marker.args[0]) if marker else DEFAULT_TIMEOUT
    kwargs = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(asyncio.wait_for(pyfuncitem.obj(**kwargs), timeout))
    return True
