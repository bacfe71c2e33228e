"""The MQTT controls' commands: each charger's switch, number and buttons, and smart charging's mode select.

A command message acts only as it arrives. A retained one would act again at every start (AppDaemon's MQTT
plugin does not tell retained messages apart), so:
- every command topic of a watched charger is emptied before the app listens, and again after each command it
  acted on: nothing retained is left to act;
- right after subscribing, the app sends itself a marker; whatever arrives before it is what the broker held
  (or the app's own emptying, coming back), and never acts.
Every other payload gets exactly one `command_result`, a value the control cannot take included; the empty
messages the app itself sends to clear a topic are the only ones left unanswered.
"""

import asyncio
import contextlib
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable

from ...const import entity_id
from ...runtime.logbook import Logbook
from ..controls import Controls
from .broker import Broker, MqttUnavailable
from .discovery import CONTROLS, SMART_MODE_KEY, Control, Topics

ControlsOf = Callable[[str], Controls | None]  # a watched charger's controls, by its slug
ChooseMode = Callable[[str, str], Awaitable[None]]
# Where the marker goes: a level no charger's slug can have (slugs are a-z, 0-9 and _).
MARKER = "~app/marker"
# Should the marker never come back (a broker that drops it), commands act anyway after this many seconds.
MARKER_PATIENCE = 30.0


class CommandTopics:
    """Empties command topics, and knows its own empty messages when they come back."""

    def __init__(self, broker: Broker, topics: Topics) -> None:
        self.broker = broker
        self.topics = topics
        self._keys = [*(control.key for control in CONTROLS), SMART_MODE_KEY]
        self._clearing: Counter[str] = Counter()  # empty messages of our own, on their way back to us
        self.cleared: set[str] = set()  # the slugs whose topics were emptied since the app started
        self.listening = False  # once subscribed: only then is an emptying of ours sure to come back

    async def clear(self, slugs: Iterable[str]) -> None:
        """Each charger's command topics, emptied once: a retained command there can never act. Raises
        MqttUnavailable (those not done are tried again next time)."""
        for slug in slugs:
            if slug not in self.cleared:
                for key in self._keys:
                    await self.empty(self.topics.command(slug, key))
                self.cleared.add(slug)

    async def empty(self, topic: str) -> None:
        if self.listening:
            self._clearing[topic] += 1
        await self.broker.publish(topic, "", retain=True)

    def own(self, topic: str, payload: str) -> bool:
        """An empty message the app itself sent to clear `topic` (taken off the count)."""
        if payload == "" and self._clearing[topic] > 0:
            self._clearing[topic] -= 1
            return True
        return False


class MqttCommands:
    def __init__(
        self,
        command_topics: CommandTopics,
        logbook: Logbook,
        *,
        controls: ControlsOf,
        choose_mode: ChooseMode,
    ) -> None:
        self.command_topics = command_topics
        self.broker, self.topics = command_topics.broker, command_topics.topics
        self.logbook = logbook
        self.controls = controls
        self.choose_mode = choose_mode
        self._controls = {control.key: control for control in CONTROLS}
        self._marker: str | None = None  # sent, not yet back: until then nothing acts
        self._patience: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Listen, once every watched charger's command topics were emptied (the publisher does that as the
        chargers are settled, before this starts)."""
        try:
            await self.broker.subscribe(self.topics.commands, self._on_command)
            self._marker = secrets.token_hex(8)
            await self.broker.publish(self.topics.command(*MARKER.split("/")), self._marker, retain=False)
        except MqttUnavailable as err:
            self.logbook(
                f"cannot listen for MQTT commands: {err}; the MQTT controls do nothing until a restart", "WARNING"
            )
            return
        self._patience = asyncio.get_running_loop().call_later(MARKER_PATIENCE, self._marked)
        self.command_topics.listening = True

    def _marked(self) -> None:
        """From now on, commands act (the marker came back, or waited for long enough)."""
        if self._marker is not None:
            self.logbook("MQTT commands act from now on (what the broker held before was ignored)", "DEBUG")
        self._marker = None
        if self._patience is not None:
            self._patience.cancel()

    async def stop(self) -> None:
        if self._patience is not None:
            self._patience.cancel()
        if self.command_topics.listening:
            with contextlib.suppress(MqttUnavailable):  # the broker is gone
                await self.broker.unsubscribe(self.topics.commands)
            self.command_topics.listening = False

    async def _on_command(self, topic: str, payload: str) -> None:
        parsed = self.topics.parse_command(topic)
        if parsed is None:
            return
        if self._marker is not None:  # what the broker held, or our own emptying: it never acts
            if "/".join(parsed) == MARKER and payload == self._marker:
                self._marked()
            elif payload:
                self.logbook(f"a retained MQTT command on {topic} was ignored and cleared")
                with contextlib.suppress(MqttUnavailable):
                    await self.command_topics.empty(topic)
            return
        if self.command_topics.own(topic, payload):
            return
        slug, key = parsed
        controls = self.controls(slug)
        if controls is None:
            self.logbook(f"MQTT command on {topic} ignored: no charger {slug} is watched", "DEBUG")
            return
        if key == SMART_MODE_KEY:
            await self.choose_mode(slug, payload)
        elif (control := self._controls.get(key)) is not None:
            await self._act(control, controls, slug, payload)
        else:
            return
        with contextlib.suppress(MqttUnavailable):  # if not now, it is emptied before the next start
            await self.command_topics.empty(topic)  # should it have been retained, it must never act again

    @staticmethod
    async def _act(control: Control, controls: Controls, slug: str, payload: str) -> None:
        await control.act(controls, payload, entity_id(slug, control.key, control.domain))
