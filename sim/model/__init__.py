"""The model: the consumers (`consumer`, `librdkafka`, `java_new_prefix`, `consumer_group`), the
coordinators (`coordinator`, `consumer_group.coordinator`, `transactions`), the logs and the sinks,
as pure state machines, sans-IO.

It owns every client and broker rule offsim models, each traced to its source in docs/model.md.
It never reads a clock, sleeps, draws a number or performs I/O: the driver (`sim.engine`) gives
the current time with every input, and whatever takes time is a command or an output for it.
"""
