"""The app at run time, without AppDaemon or Home Assistant: accounts that read the AMPECO cloud, the change
sources that say when (polling), chargers and their memory, commands, and the hub that holds them.

It shows what it knows through a `Publisher` and keeps time through a `Scheduler` (see `ports` and
`timers`); the host supplies both.
"""
