"""Test tiers by folder, each with a wall-clock bound unless a test sets its own with `timeout`.

Async tests run on pytest-asyncio (a fresh event loop per test); pytest-timeout enforces the bounds.
"""

from pathlib import Path

import pytest

# Seconds a test of each tier may take, setup and teardown included.
TIMEOUTS = {"unit": 30, "integration": 30, "soak": 600, "e2e": 300}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test's tier is the folder under tests/ it lives in (at any depth: tests/unit/smart is unit)."""
    for item in items:
        tier = next((p.name for p in Path(item.path).parents if p.name in TIMEOUTS), None)
        if tier is None:
            continue
        item.add_marker(getattr(pytest.mark, tier))
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TIMEOUTS[tier]))
