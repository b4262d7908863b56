"""The engine: simulated time. It drives the model's state machines with simpy (the poll loops,
the network between members and the coordinator, the faults, the coordinator's host and its
failover, liveness), draws every random number from keyed generators, and writes each fact to
the ledger as it happens. It never judges a run: the checks read the ledger afterwards."""
