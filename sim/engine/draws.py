"""Random numbers keyed by what they are about (DESIGN.md, Determinism).

Every draw comes from a Philox generator keyed by (seed, stream, subject...). A record's
processing time depends only on (seed, partition, offset, attempt), a request's latency only on
(seed, connection, request number), a fault stream only on (seed, fault index). Adding a fault or
changing the strategy therefore shifts nobody else's draws, and `compare` runs every strategy on
the same processing times. Per-record draws come in chunks of CHUNK consecutive offsets, each
drawn whole, so a record's value never depends on how batches happened to split.
"""

from __future__ import annotations

import numpy as np

CHUNK = 1024
PROCESSING, LATENCY, FAULT, HEARTBEAT = 1, 2, 3, 4


def generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=key)))


def sample_ms(rng: np.random.Generator, dist, size: int) -> np.ndarray:
    """Draw `size` values of a scenario distribution (in ms) as float64 milliseconds."""
    kind = dist.dist
    if kind == "constant":
        return np.full(size, float(dist.mean))
    if kind == "uniform":
        return rng.uniform(dist.low, dist.high, size)
    if kind == "exponential":
        return rng.exponential(dist.mean, size)
    if kind == "lognormal":
        mu = np.log(dist.mean) - dist.sigma**2 / 2  # so that the mean is `mean`
        return rng.lognormal(mu, dist.sigma, size)
    raise ValueError(f"unknown distribution {kind!r}")


def to_us(ms: np.ndarray) -> np.ndarray:
    return np.maximum(np.rint(ms * 1000.0), 0).astype(np.int64)


class KeyedDraws:
    """Chunks of per-subject draws in microseconds, cached for the run."""

    def __init__(self, seed: int, stream: int, dist):
        self.seed = seed
        self.stream = stream
        self.dist = dist
        self._chunks: dict[tuple[int, ...], np.ndarray] = {}

    def chunk(self, subject: tuple[int, ...], index: int) -> np.ndarray:
        key = (*subject, index)
        values = self._chunks.get(key)
        if values is None:
            rng = generator(self.seed, self.stream, *key)
            values = to_us(sample_ms(rng, self.dist, CHUNK))
            self._chunks[key] = values
        return values

    def range(self, subject: tuple[int, ...], start: int, end: int) -> np.ndarray:
        """Draws for the consecutive numbers [start, end) of one subject."""
        first, last = start // CHUNK, (end - 1) // CHUNK
        if first == last:
            return self.chunk(subject, first)[start % CHUNK : start % CHUNK + end - start]
        parts = [self.chunk(subject, c) for c in range(first, last + 1)]
        joined = np.concatenate(parts)
        return joined[start - first * CHUNK : end - first * CHUNK]

    def one(self, subject: tuple[int, ...], number: int) -> int:
        return int(self.chunk(subject, number // CHUNK)[number % CHUNK])
