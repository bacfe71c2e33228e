"""The real app class in-process, with a fake of only the AppDaemon calls it makes and the simulator on
loopback, on one virtual clock. The integration tests, the soak run, the benchmark and the smart charging
day's plot all run on it.
"""
