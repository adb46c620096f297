"""Process-wide caches of parsed signing keys: each is built once per certificate and shared by threads."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

# Institutions times rotations still in use; a miss only costs one key parse.
_MAX_ENTRIES = 64
_T = TypeVar("_T")


class ParsedKeyCache(Generic[_T]):
    """An LRU map from a certificate identity to an object holding its parsed private key."""

    def __init__(self, max_entries: int = _MAX_ENTRIES) -> None:
        self._entries: LRUCache[Hashable, _T] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """Return the cached object for ``key``, building it (outside the lock) on a miss."""
        with self._lock:
            found = self._entries.get(key)
        if found is not None:
            return found
        # Built outside the lock: a slow key load must not block lookups of other certificates.
        built = build()
        with self._lock:
            return self._entries.setdefault(key, built)

    def clear(self) -> None:
        """Forget every entry (after a key rotation, or between tests)."""
        with self._lock:
            self._entries.clear()
