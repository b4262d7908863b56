"""The model: pure state machines of the consumers (the Java client, librdkafka), the group
coordinator, the log, the sinks and the transactional producer. Each takes a message, a timer or
the application's call and returns what to do next; none knows time, schedules, or draws a
random number (the engine does), so each is tested by feeding it events by hand."""
