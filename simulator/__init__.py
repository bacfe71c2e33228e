"""A simulator of the AMPECO driver-app API, for tests and the demo (never for production use).

`python -m simulator --help` serves it; tests use `Simulator` and `running` in-process.
"""

from .accounts import CLIENT_ID, CLIENT_SECRET, Grant
from .broadcast import Echo
from .faults import Fault
from .model import SimCharger, SimModel, Timing, demo_model, many_accounts
from .server import Settings, Simulator, running

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "Echo",
    "Fault",
    "Grant",
    "Settings",
    "SimCharger",
    "SimModel",
    "Simulator",
    "Timing",
    "demo_model",
    "many_accounts",
    "running",
]
