"""Random numbers keyed by what they are about (docs/model.md, Time and randomness).

Every draw comes from a Philox generator keyed by (seed, stream, subject...). A record's
processing time depends only on (seed, partition, offset, attempt), a request's latency only on
(seed, connection, request number), a fault stream only on (seed, fault index). Adding a fault or
changing the strategy therefore shifts nobody else's draws, and `compare` runs every strategy on
the same processing times. Per-record draws come in chunks of CHUNK consecutive offsets, each
drawn whole, so a record's value never depends on how batches happened to split.
"""

from __future__ import annotations

import threading

import numpy as np

CHUNK = 1024
PREFIX = 64  # the fewest values of a chunk drawn at once: a run sends few requests
PROCESSING, LATENCY, FAULT, HEARTBEAT, FETCH_RACE, OPS_RACE, LOOKUP_RACE = 1, 2, 3, 4, 5, 6, 7
TOPIC_NAME = 8  # the Java clients' fetch order depends on the topic name's hash
# The longest one draw may be (~11.6 days): a lognormal's far tail stays within int64 microseconds
# summed over a batch (docs/scenarios.md, Limits).
MAX_DRAW_US = 10**12


def generator(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(np.random.SeedSequence(seed, spawn_key=key)))


def shared_generator(seed: int, *key: int) -> np.random.Generator:
    """The draws of `generator(seed, *key)` (key non-empty) from the thread's one re-keyable
    generator, without building a SeedSequence: valid until the next keyed draw of the thread,
    so draw from it at once."""
    return _shared_rekeyable().keyed(seed, key[:-1], key[-1])


# numpy's SeedSequence (pool of 4 uint32 words), redone in Python so that the mixed pool of a
# key's prefix can be kept: a chunk's key then costs one word of mixing, not a whole SeedSequence.
_M32 = 0xFFFFFFFF
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715


def _words(value: int) -> list[int]:
    """An int as numpy's SeedSequence reads it: little-endian uint32 words ([0] for 0)."""
    if value < 0:
        raise ValueError("keys must be non-negative")
    words = [value & _M32]
    value >>= 32
    while value:
        words.append(value & _M32)
        value >>= 32
    return words


def _mix_in(pool: list[int], hash_const: int, word: int) -> int:
    """Mix one more entropy word into the pool (in place); returns the new hash constant.
    SeedSequence's loop over the four pool words, unrolled: the hot part of re-keying."""
    p0, p1, p2, p3 = pool
    h1 = (hash_const * _MULT_A) & _M32
    h2 = (h1 * _MULT_A) & _M32
    h3 = (h2 * _MULT_A) & _M32
    h4 = (h3 * _MULT_A) & _M32
    v = ((word ^ hash_const) * h1) & _M32
    m = (_MIX_L * p0 - _MIX_R * (v ^ (v >> 16))) & _M32
    pool[0] = m ^ (m >> 16)
    v = ((word ^ h1) * h2) & _M32
    m = (_MIX_L * p1 - _MIX_R * (v ^ (v >> 16))) & _M32
    pool[1] = m ^ (m >> 16)
    v = ((word ^ h2) * h3) & _M32
    m = (_MIX_L * p2 - _MIX_R * (v ^ (v >> 16))) & _M32
    pool[2] = m ^ (m >> 16)
    v = ((word ^ h3) * h4) & _M32
    m = (_MIX_L * p3 - _MIX_R * (v ^ (v >> 16))) & _M32
    pool[3] = m ^ (m >> 16)
    return h4


def _pool(seed: int, key: tuple[int, ...]) -> tuple[list[int], int]:
    """SeedSequence(seed, spawn_key=key)'s mixed pool, and the hash constant its
    mixing ended with: INIT_A times MULT_A once per hashmix, 16 for the first four words and 4
    for each word after them."""
    pool = [int(word) for word in np.random.SeedSequence(seed, spawn_key=key).pool]
    words = max(len(_words(seed)), 4) + sum(len(_words(k)) for k in key)
    hash_const = (_INIT_A * pow(_MULT_A, 16 + 4 * (words - 4), 1 << 32)) & _M32
    return pool, hash_const


def _output_consts() -> tuple[tuple[int, int], ...]:
    """The (hash constant, next hash constant) pairs generate_state uses on the four words."""
    consts, hash_const = [], _INIT_B
    for _ in range(4):
        consts.append((hash_const, (hash_const * _MULT_B) & _M32))
        hash_const = consts[-1][1]
    return tuple(consts)


_OUT = _output_consts()


def _state_words(pool: list[int]) -> tuple[int, int]:
    """SeedSequence.generate_state(2, np.uint64) from a mixed pool, as two ints."""
    out = []
    for word, (hash_const, next_const) in zip(pool, _OUT, strict=True):
        value = ((word ^ hash_const) * next_const) & _M32
        out.append(value ^ (value >> 16))
    return out[0] | out[1] << 32, out[2] | out[3] << 32


def philox_key(seed: int, *key: int) -> np.ndarray:
    """The Philox key `generator(seed, *key)` starts from: Philox(SeedSequence) takes its key as
    the sequence's first two uint64 words, with a zero counter."""
    return np.array(_state_words(_pool(seed, key)[0]), np.uint64)


class _Rekeyable:
    """One Philox generator, re-keyed in place: the same draws as a fresh `generator(seed, *key)`
    (same key, zero counter, empty buffer) without building a SeedSequence and a bit generator
    per chunk. The mixed pool of each key prefix (stream, subject) of the current seed is kept;
    a new seed drops them (a run keys all its draws by one seed, and a search over many seeds
    would otherwise keep every seed's pools)."""

    __slots__ = ("bits", "rng", "_counter", "_key", "_buffer", "_seed", "_prefixes")

    def __init__(self):
        self.bits = np.random.Philox(0)
        self.rng = np.random.Generator(self.bits)
        self._counter = np.zeros(4, np.uint64)
        self._key = np.zeros(2, np.uint64)  # the state setter copies it
        self._buffer = np.zeros(4, np.uint64)
        self._seed: int | None = None
        self._prefixes: dict[tuple[int, ...], tuple[list[int], int]] = {}

    def keyed(self, seed: int, prefix: tuple[int, ...], last: int) -> np.random.Generator:
        """The generator of `generator(seed, *prefix, last)`, reset to its start."""
        if seed != self._seed:
            self._prefixes.clear()
            self._seed = seed
        mixed = self._prefixes.get(prefix)
        if mixed is None:
            mixed = self._prefix_pool(seed, prefix)
        pool, hash_const = list(mixed[0]), mixed[1]
        for word in _words(last):
            hash_const = _mix_in(pool, hash_const, word)
        key = self._key
        key[0], key[1] = _state_words(pool)
        self.bits.state = {
            "bit_generator": "Philox",
            "state": {"counter": self._counter, "key": key},
            "buffer": self._buffer,
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self.rng

    def _prefix_pool(self, seed: int, prefix: tuple[int, ...]) -> tuple[list[int], int]:
        """The mixed pool of (seed, *prefix), kept: the pool of (seed, *prefix[:-1]) (kept too,
        down to the seed's own: one SeedSequence per seed) with the last key's words mixed in,
        as SeedSequence mixes spawn-key words after the first four (a seed of up to four words
        is padded with zeros, which its own sequence mixes as zeros too)."""
        mixed = self._prefixes.get(prefix)
        if mixed is None:
            if not prefix:
                mixed = _pool(seed, ())
            else:
                shorter = self._prefix_pool(seed, prefix[:-1])
                pool, hash_const = list(shorter[0]), shorter[1]
                for word in _words(prefix[-1]):
                    hash_const = _mix_in(pool, hash_const, word)
                mixed = pool, hash_const
            self._prefixes[prefix] = mixed
        return mixed


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
    """Whole microseconds, never negative nor above MAX_DRAW_US. Scales `ms` in place (a fresh
    draw)."""
    us = np.multiply(ms, 1000.0, out=ms)
    np.rint(us, out=us)
    np.clip(us, 0, MAX_DRAW_US, out=us)
    return us.astype(np.int64)


_LOCAL = threading.local()


def _shared_rekeyable() -> _Rekeyable:
    """One re-keyable generator per thread: a chunk is drawn whole right after re-keying, so the
    KeyedDraws of a thread can share it."""
    shared = getattr(_LOCAL, "rekeyable", None)
    if shared is None:
        shared = _LOCAL.rekeyable = _Rekeyable()
    return shared


class KeyedDraws:
    """Chunks of per-subject draws in microseconds, cached for the run. A chunk is drawn only as
    far as asked (its first PREFIX values, twice or four times that, or all of it): numpy's
    generators draw a sequence value by value, so a chunk's first n values are the same however
    many of it are drawn, and a small run does not pay for 1,024 values a subject. A range that
    reaches into the next chunk draws that one whole: it will be read on."""

    def __init__(self, seed: int, stream: int, dist):
        self.seed = seed
        self.stream = stream
        self.dist = dist
        self._chunks: dict[tuple[int, ...], np.ndarray] = {}
        self._rng = _shared_rekeyable()

    def chunk(self, subject: tuple[int, ...], index: int, need: int = CHUNK) -> np.ndarray:
        """At least the first `need` values of chunk `index` (a prefix of it)."""
        key = (*subject, index)
        values = self._chunks.get(key)
        if values is None or len(values) < need:
            size = PREFIX
            while size < need and size < CHUNK:
                size = size * 2 if size < 4 * PREFIX else CHUNK
            rng = self._rng.keyed(self.seed, (self.stream, *subject), index)
            values = to_us(sample_ms(rng, self.dist, size))
            self._chunks[key] = values
        return values

    def range(self, subject: tuple[int, ...], start: int, end: int) -> np.ndarray:
        """Draws for the consecutive numbers [start, end) of one subject."""
        first, last = start // CHUNK, (end - 1) // CHUNK
        if first == last:  # the common case, without a call when the chunk is drawn far enough
            offset = start - first * CHUNK
            need = offset + end - start
            values = self._chunks.get((*subject, first))
            if values is None or len(values) < need:
                values = self.chunk(subject, first, need)
            return values[offset:need]
        # Reading across a chunk boundary: the next chunk will be read on, so all of it.
        parts = [self.chunk(subject, c) for c in range(first, last + 1)]
        parts[0] = parts[0][start - first * CHUNK :]
        parts[-1] = parts[-1][: end - last * CHUNK]
        return np.concatenate(parts)

    def one(self, subject: tuple[int, ...], number: int) -> int:
        index, offset = divmod(number, CHUNK)
        values = self._chunks.get((*subject, index))
        if values is None or len(values) <= offset:
            # Past a chunk's first values, a subject drawn one by one goes on: all of it.
            values = self.chunk(subject, index, offset + 1 if offset < PREFIX else CHUNK)
        return int(values[offset])
