"""Every watched charger at run time, without AppDaemon or Home Assistant: the hub runs what `build` made.

It starts and stops the accounts, takes typed commands (`run`: each answered exactly once), and after every
round of an account shows its chargers, tells what happened, lets round listeners follow (dashboard helpers,
smart charging), and keeps the memory file current.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from .account import Account, Round
from .charger import Charger
from .commands import (
    ChargerCommand,
    Command,
    CommandRefused,
    CommandResult,
    Outcome,
    Reason,
    SetMaxCurrent,
    UpdateAll,
    reason_of,
)
from .credential_watch import CredentialWatch
from .execute import Executor
from .landing import LandingCheck
from .lifecycle import describe
from .logbook import Logbook, one_line
from .memory_file import MemoryFile
from .poller import Poller
from .ports import Publisher
from .push import PushSource
from .session_book import SessionBook
from .timers import Scheduler
from .view import ChargerView

# Readings change every poll; lifecycle transitions are saved at once, plain readings this often.
SAVE_EVERY = 300.0

RoundListener = Callable[[], None]


@dataclass(frozen=True)
class AccountParts:
    """One account's runtime, as `build.build_account` makes it."""

    account: Account
    poller: Poller
    landing: LandingCheck
    executor: Executor
    push: PushSource | None = None


class Hub:
    def __init__(
        self,
        publisher: Publisher,
        *,
        memory: MemoryFile,
        book: SessionBook,
        scheduler: Scheduler,
        logbook: Logbook,
        unavailable_after: float,
    ) -> None:
        self.publisher = publisher
        self.memory = memory
        self.book = book
        self.scheduler = scheduler
        self.logbook = logbook
        self.unavailable_after = unavailable_after
        self.parts: dict[Account, AccountParts] = {}
        self.watch = CredentialWatch(self.parts.keys, scheduler, logbook)
        self._listeners: dict[str, list[RoundListener]] = {}
        self._latest_limit: dict[str, object] = {}  # per charger: the newest current change asked for
        self._stopped = False

    def add(self, parts: AccountParts) -> None:
        """Run an account (the builder hands each one over once it is made)."""
        self.parts[parts.account] = parts
        parts.account.after_round(self._after_round)

    @property
    def accounts(self) -> list[Account]:
        return list(self.parts)

    @property
    def chargers(self) -> dict[str, Charger]:
        """Every charger watched now (where they are discovered, the set changes as the account does)."""
        return {charger.id: charger for account in self.parts for charger in account.chargers}

    def account(self, charger: Charger) -> Account:
        return next(account for account in self.parts if charger in account.chargers)

    def poller(self, charger: Charger) -> Poller:
        return self.parts[self.account(charger)].poller

    def after_each_round(self, chargepoint_id: str, listener: RoundListener) -> None:
        """Call `listener()` after every round that read the charger's account (dashboard helpers, smart
        charging follow it); it must not block: slow work goes to the background."""
        self._listeners.setdefault(chargepoint_id, []).append(listener)

    def lineup(self) -> list[ChargerView]:
        """Every charger watched now, as it is now."""
        return [view for account in self.parts for view in self.views(account)]

    async def start(self) -> None:
        """Say which chargers there are, show what the last run saw (if anything) at once, then read every
        account at once."""
        await self.publisher.settled(self.lineup())
        for account, parts in self.parts.items():
            await account.credentials.locate()
            account.recall()
            await parts.poller.start()
            await self.show(account)
        names = ", ".join(c.label for c in self.chargers.values()) or "those on the account"
        self.logbook(f"watching {len(self.chargers)} charger(s) on {len(self.parts)} account(s): {names}")

    async def halt(self) -> None:
        """No more reading, commands or round listeners: timers and requests under way are cancelled."""
        self._stopped = True
        await self.watch.stop()
        for account, parts in self.parts.items():
            if parts.push is not None:
                await parts.push.stop()
            await parts.poller.stop()
            await account.stop()
            await account.credentials.settle()

    async def stop(self) -> None:
        await self.halt()
        await self.memory.save()

    async def run(self, command: Command, origin: str | None = None) -> Outcome:
        """Carry out one command (from an event, a dashboard control or smart charging, as `origin` says) and
        answer it with its one result."""
        if self._stopped:
            return Outcome.failed(Reason.BUSY, "the app is stopping")
        if isinstance(command, UpdateAll):
            return await self._update_everywhere(origin)
        charger = self.chargers.get(command.chargepoint_id)
        if charger is None:
            return await self.refuse(
                CommandRefused(
                    command.name, command.chargepoint_id, "this charger is no longer watched", Reason.UNKNOWN_CHARGER
                ),
                origin,
            )
        parts = self.parts[self.account(charger)]
        token = object()
        if isinstance(command, SetMaxCurrent):
            self._latest_limit[charger.id] = token
        async with charger.lock:
            if isinstance(command, SetMaxCurrent) and self._latest_limit.get(charger.id) is not token:
                outcome = Outcome.failed(Reason.SUPERSEDED, "a newer current limit was asked for before this one ran")
            else:
                outcome = await self._execute(parts.executor, command, charger)
            self._tell(charger, command, outcome, origin)
            await self._answer(charger.id, command.name, outcome, origin)
            if outcome.poll:
                # Inside the lock, so a stop right behind a start sees the session the start made.
                await parts.account.refresh()
        return outcome

    async def _update_everywhere(self, origin: str | None) -> Outcome:
        """update_data without a charger: each account read once."""
        errors = await asyncio.gather(*(account.refresh() for account in self.parts))
        failed = [error for error in errors if error is not None]
        outcome = Outcome(True)
        if failed:
            outcome = Outcome.failed(reason_of(failed[0]), "; ".join(error.message for error in failed))
        await self._answer(None, UpdateAll.name, outcome, origin)
        return outcome

    @staticmethod
    async def _execute(executor: Executor, command: ChargerCommand, charger: Charger) -> Outcome:
        try:
            return await executor.run(command, charger)
        except Exception as err:  # a bug must still answer the user, once
            return Outcome.failed(Reason.INTERNAL, f"internal error: {one_line(err)}")

    def _tell(self, charger: Charger, command: Command, outcome: Outcome, origin: str | None) -> None:
        by = f" ({origin})" if origin else ""
        if outcome.success:
            self.logbook(f"{charger.label}: {command.name}{by} done")
        elif outcome.reason is not Reason.SUPERSEDED:
            self.logbook(f"{charger.label}: {command.name}{by} failed: {outcome.error}", "WARNING")

    async def refuse(self, refusal: CommandRefused, origin: str | None = None) -> Outcome:
        """A command refused before it could be run (a bad event, a helper set to half an amp): said once,
        answered once."""
        outcome = Outcome.failed(refusal.reason, refusal.message)
        if not self._stopped:
            self.logbook(f"{refusal.name} refused: {refusal.message}", "WARNING")
            await self._answer(refusal.chargepoint_id, refusal.name, outcome, origin)
        return outcome

    async def show(self, account: Account) -> None:
        """Hand every charger of `account` to the publisher as it is now."""
        for view in self.views(account):
            await self.publisher.show(view)

    def views(self, account: Account) -> list[ChargerView]:
        """Every charger of `account` as it is now."""
        now, parts, where = self.scheduler.now(), self.parts[account], account.view
        push = None if parts.push is None else parts.push.status
        trouble = self.memory.problem or self.book.problem
        return [
            charger.view(
                parts.poller.status(charger),
                now,
                self.unavailable_after,
                push,
                trouble,
                where,
                self.book.months.get(charger.id),
            )
            for charger in account.chargers
        ]

    async def _answer(self, chargepoint_id: str | None, name: str, outcome: Outcome, origin: str | None) -> None:
        await self.publisher.answer(
            CommandResult(
                chargepoint_id,
                name,
                outcome.success,
                outcome.error,
                outcome.reason,
                outcome.session_id,
                origin,
                outcome.note,
            )
        )

    async def _after_round(self, account: Account, found: Round) -> None:
        """After each round: the next poll is set, the chargers are shown, what happened is told, dashboard
        helpers and smart charging follow, and the memory goes to disk."""
        parts = self.parts[account]
        await parts.poller.after_round()
        try:
            await self._log(account, found)
        except Exception as err:  # a bug in the session log costs the log, never the readings
            self.logbook.once(
                "log-error", f"internal error in the session log: {one_line(err)}. Please report this.", "ERROR"
            )
        try:
            if found.added or found.removed:
                await self.publisher.settled(self.lineup())
            await self.show(account)
            for charger, transitions in found.found:
                for transition in transitions:
                    self.logbook(f"{charger.label}: {describe(transition)}")
                    await self.publisher.announce(charger.id, transition)
            if (warning := self.watch.expiring(account)) is not None:
                await self.publisher.warn(warning)
        except Exception as err:
            self.logbook.once("host-error", f"cannot update Home Assistant: {one_line(err)}", "ERROR")
        else:
            self.logbook.forget("host-error")
        if not self._stopped:
            await self._follow(parts)
        changed = bool(found.added or found.removed) or any(transitions for _, transitions in found.found)
        await self.memory.save_if_due(SAVE_EVERY, changed=changed)

    async def _log(self, account: Account, found: Round) -> None:
        """The sessions that ended, into the session log (an account's history once, when first read), and the
        months' totals added up again."""
        for charger, transitions in found.found:
            await self.book.keep(account.client, charger, transitions)
        if account.error is None and not account.log_filled and account.chargers:
            account.log_filled = await self.book.fill(account.client, account.chargers, self.scheduler.now())
        await self.book.add_up(account.chargers, self.scheduler.now())

    async def _follow(self, parts: AccountParts) -> None:
        """What runs after a round while the app runs: the token watch, live updates once the account reads,
        the tidying of starts left elsewhere, and the round listeners."""
        account = parts.account
        await self.watch.watch()
        if parts.push is not None and not parts.push.started and account.error is None:
            await parts.push.start()
        if account.error is None:  # what a start of ours left elsewhere is stopped, round after round
            await parts.landing.tidy()
        for charger in account.chargers:
            for listener in self._listeners.get(charger.id, []):
                listener()
