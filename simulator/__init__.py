"""A simulator of the AMPECO driver-app API, for tests and the demo (never for production use).

`python -m simulator --help` serves it; tests use `Simulator` and `running` in-process.
"""

from .faults import Fault
from .model import SimCharger, SimModel, Timing, demo_model, many_accounts
from .server import Settings, Simulator, running

__all__ = [
    "Fault",
    "Settings",
    "SimCharger",
    "SimModel",
    "Simulator",
    "Timing",
    "demo_model",
    "many_accounts",
    "running",
]
