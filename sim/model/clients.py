"""The client models a scenario can choose (`consumer.client`), by name.

It owns the table of names; it never builds a consumer (the engine does)."""

from .consumer import Consumer
from .consumer_group.java_consumer import JavaGroupConsumer
from .consumer_group.librdkafka_consumer import LibrdkafkaGroupConsumer
from .java_new_prefix import JavaNewPrefixConsumer
from .librdkafka import LibrdkafkaConsumer

CLIENT_MODELS: dict[str, type[Consumer]] = {
    "java": Consumer,
    "librdkafka": LibrdkafkaConsumer,
    "java-new-prefix": JavaNewPrefixConsumer,
}
# In a consumer group (group.protocol = "consumer").
CONSUMER_GROUP_MODELS: dict[str, type[Consumer]] = {
    "java": JavaGroupConsumer,
    "librdkafka": LibrdkafkaGroupConsumer,
}
