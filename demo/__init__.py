"""The demo: the simulator, AppDaemon and the app on loopback, no charger or token needed.

`python -m demo` runs it; the end-to-end tests reuse its pieces to start the same stack.
"""
