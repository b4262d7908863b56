"""The client models a scenario can choose (`consumer.client`), by name.

It owns the table of names; it never builds a consumer (the engine does)."""

from .consumer import Consumer
from .java_new_prefix import JavaNewPrefixConsumer
from .librdkafka import LibrdkafkaConsumer

CLIENT_MODELS: dict[str, type[Consumer]] = {
    "java": Consumer,
    "librdkafka": LibrdkafkaConsumer,
    "java-new-prefix": JavaNewPrefixConsumer,
}
