"""AMPECO EV charger app for AppDaemon.

AppDaemon loads `ampeco_ev_charger.app.AmpecoEvCharger`; everything else in this package is plain Python
that knows nothing of AppDaemon or Home Assistant, so it can be tested and reused on its own.
"""

__version__ = "1.0.0"
