"""Offline pyld document loader: serves SHA-256-checked pinned contexts and refuses every other URL."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld.context_resolver import ContextResolver

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
MANIFEST_NAME = "manifest.json"
OWN_CONTEXT_KEY = "mcportal-v1"

# Resolved (processed) contexts kept per loader; bounded because verification may meet
# inline contexts from uploaded documents, and each distinct inline context is an entry.
_RESOLVED_CACHE_SIZE = 128
_SCOPED_MEMO_SIZE = 1024


class JsonLdLoaderError(Exception):
    """Base class for document loader failures."""


class ContextNotPinned(JsonLdLoaderError):
    """A document referenced a URL that is not pinned; nothing is fetched."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD context is not pinned (no network fetch is made): {url}")
        self.url = url


class PinnedContextTampered(JsonLdLoaderError):
    """A pinned context file does not match the SHA-256 recorded in the manifest."""

    def __init__(self, file: Path, expected: str, actual: str) -> None:
        super().__init__(f"pinned context {file.name} has SHA-256 {actual}, manifest says {expected}")
        self.file = file


@dataclass(frozen=True)
class PinnedContext:
    """One pinned context: where it is served, its file and its verified digest."""

    url: str
    file: Path
    sha256: str
    document: Mapping[str, Any]


def mcportal_context_url(public_url: str) -> str:
    """Return the URL at which the portal serves its own context (``<origin>/contexts/...``)."""
    return f"{public_url.rstrip('/')}/contexts/mcportal/v1.jsonld"


class _LockedLRU(LRUCache):
    """LRU cache safe to share between threads (pyld mutates it on every read)."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self._lock = threading.RLock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            return super().__getitem__(key)

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            return super().get(key, default)


class DocumentLoader:
    """A pyld document loader over a fixed URL → document map; unknown URLs raise."""

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self._documents = dict(documents)
        self._resolved = _LockedLRU(_RESOLVED_CACHE_SIZE)
        # Processed type-scoped contexts, used by credentials.jsonld.canonical.
        self.scoped_context_memo: MutableMapping[Any, Any] = _LockedLRU(_SCOPED_MEMO_SIZE)

    @property
    def urls(self) -> frozenset[str]:
        """The URLs this loader serves."""
        return frozenset(self._documents)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the pyld RemoteDocument for ``url`` or raise ContextNotPinned."""
        try:
            document = self._documents[url]
        except KeyError:
            raise ContextNotPinned(url) from None
        # pyld rewrites context URLs in place, so it must never see our cached object.
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
            # "static" lets pyld keep the processed context across operations.
            "tag": "static",
        }

    def jsonld_options(self, **options: Any) -> dict[str, Any]:
        """Return pyld options that use this loader and its own resolved-context cache.

        pyld's default cache is process-global and keyed by URL only, so a context that
        one loader served would be visible to every other loader; ours is per loader.
        """
        return {
            **options,
            "documentLoader": self,
            "contextResolver": ContextResolver(self._resolved, self),
        }


def _read_verified(file: Path, expected_sha256: str) -> Mapping[str, Any]:
    data = file.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256:
        raise PinnedContextTampered(file, expected_sha256, actual)
    return json.loads(data)


@functools.lru_cache(maxsize=8)
def _pinned(contexts_dir: Path) -> tuple[dict[str, PinnedContext], PinnedContext]:
    """Read the manifest and every file it names, verifying each SHA-256 (once per process)."""
    manifest = json.loads((contexts_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    pinned = {
        url: PinnedContext(
            url=url,
            file=contexts_dir / entry["file"],
            sha256=entry["sha256"],
            document=_read_verified(contexts_dir / entry["file"], entry["sha256"]),
        )
        for url, entry in manifest["pinned"].items()
    }
    own_entry = manifest["own"][OWN_CONTEXT_KEY]
    own = PinnedContext(
        url="",
        file=contexts_dir / own_entry["file"],
        sha256=own_entry["sha256"],
        document=_read_verified(contexts_dir / own_entry["file"], own_entry["sha256"]),
    )
    return pinned, own


def pinned_contexts(
    *, own_context_url: str | None = None, contexts_dir: Path | None = None
) -> dict[str, PinnedContext]:
    """Return URL → verified pinned context, including the portal's own one if its URL is given.

    Raises PinnedContextTampered if any file differs from the manifest.
    """
    pinned, own = _pinned((contexts_dir or CONTEXTS_DIR).resolve())
    result = dict(pinned)
    if own_context_url in result:
        raise ValueError(f"{own_context_url} is already a pinned third-party context URL")
    if own_context_url is not None:
        result[own_context_url] = PinnedContext(
            url=own_context_url, file=own.file, sha256=own.sha256, document=own.document
        )
    return result


@functools.lru_cache(maxsize=16)
def _cached_loader(own_context_url: str | None, contexts_dir: Path) -> DocumentLoader:
    contexts = pinned_contexts(own_context_url=own_context_url, contexts_dir=contexts_dir)
    return DocumentLoader({url: ctx.document for url, ctx in contexts.items()})


def build_document_loader(
    *,
    own_context_url: str | None = None,
    extra_contexts: Mapping[str, Mapping[str, Any]] | None = None,
    contexts_dir: Path | None = None,
) -> DocumentLoader:
    """Return an offline loader for the pinned contexts (+ own context URL, + extra documents).

    Without ``extra_contexts`` the loader is shared per process, so its caches stay warm.
    ``extra_contexts`` is for tests (e.g. the W3C examples context) and is not hash-checked.
    """
    directory = (contexts_dir or CONTEXTS_DIR).resolve()
    if not extra_contexts:
        return _cached_loader(own_context_url, directory)
    contexts = pinned_contexts(own_context_url=own_context_url, contexts_dir=directory)
    documents: dict[str, Mapping[str, Any]] = {url: c.document for url, c in contexts.items()}
    documents.update(extra_contexts)
    return DocumentLoader(documents)


def portal_document_loader() -> DocumentLoader:
    """The shared offline loader that also serves the portal's own context at its public URL."""
    from django.conf import settings

    return build_document_loader(own_context_url=mcportal_context_url(settings.MCPORTAL_PUBLIC_URL))
