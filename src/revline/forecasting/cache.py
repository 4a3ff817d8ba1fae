"""A small in-process cache of slow-changing aggregates, each entry valid only for the stamp
it was computed under.

Nothing here is state: every read passes the stamp it has just read from the database, and
an entry whose stamp differs is recomputed, so a stale answer cannot be served, and every
process (or thread) validates for itself. The cache only saves recomputing an aggregate
whose inputs have not changed since."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class StampedCache(Generic[V]):
    """Least recently used entries, at most ``size``, one per key, each with its stamp."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, stamp: Hashable, compute: Callable[[], V]) -> V:
        """The value stored for ``key`` under ``stamp``; else ``compute()``, stored. The
        caller reads ``stamp`` before computing, so a write landing in between leaves an
        entry under the old stamp, which the next read no longer matches."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] == stamp:
                self._entries.move_to_end(key)
                self.hits += 1
                return found[1]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0
