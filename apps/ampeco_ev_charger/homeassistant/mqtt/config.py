"""apps.yaml's `mqtt:` -> MqttConfig, or a ConfigError naming the key.

`mqtt: true` takes every default; without `mqtt:` the app keeps to `set_state`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ...const import DOMAIN, slugify
from ...validate import ConfigError, text, unknown_keys

KEYS = frozenset({"namespace", "discovery_prefix", "base_topic", "appdaemon_status_topic"})
_LEVEL = r"[^\s#+/\x00-\x1f\x7f-\x9f]+"  # no wildcard, space or control character (Mosquitto drops a NUL's sender)
_TOPIC = re.compile(rf"{_LEVEL}(/{_LEVEL})*")
# The app's topics add a charger and an entity to these; MQTT allows 65 535 bytes, a broker may allow less.
LONGEST_TOPIC = 200


@dataclass(frozen=True)
class MqttConfig:
    namespace: str = "mqtt"  # AppDaemon's MQTT plugin (`namespace:` under `plugins:` in appdaemon.yaml)
    discovery_prefix: str = "homeassistant"
    base_topic: str = DOMAIN  # where the states and commands live
    # AppDaemon's birth and will: None reads it from AppDaemon's MQTT plugin (its default is
    # appdaemon_mqtt_client/status).
    appdaemon_status_topic: str | None = None


def parse_mqtt_config(value: object, app_name: str, warnings: list[str]) -> MqttConfig | None:
    """`app_name` (AppDaemon's name of this app) keeps two apps of this kind apart on one broker."""
    if value is None or value is False:
        return None
    if value is True:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError("mqtt", "must be true, or a mapping like `namespace: mqtt`")
    warnings.extend(unknown_keys(value, KEYS, "mqtt"))
    defaults = MqttConfig(base_topic=f"{DOMAIN}/{slugify(app_name)}" if app_name else DOMAIN)
    return MqttConfig(
        namespace=text(value.get("namespace"), "mqtt.namespace") or defaults.namespace,
        discovery_prefix=_topic(value.get("discovery_prefix"), "mqtt.discovery_prefix") or defaults.discovery_prefix,
        base_topic=_topic(value.get("base_topic"), "mqtt.base_topic") or defaults.base_topic,
        appdaemon_status_topic=_topic(value.get("appdaemon_status_topic"), "mqtt.appdaemon_status_topic"),
    )


def _topic(value: object, key: str) -> str | None:
    topic = text(value, key)
    if topic is not None and len(topic.encode()) > LONGEST_TOPIC:
        raise ConfigError(key, f"must be an MQTT topic of at most {LONGEST_TOPIC} bytes; got {len(topic.encode())}")
    if topic is not None and not _TOPIC.fullmatch(topic):
        raise ConfigError(
            key,
            f"must be an MQTT topic without wildcards, spaces, control characters or empty levels; got {topic[:80]!r}",
        )
    return topic
