"""Micro-benchmark of eddsa-rdfc-2022 signing/verification on one core (warm and cold caches).

Wall-clock rates suffer when other processes share the core; the CPU-time rate (time.process_time)
is what the work costs this process.

Usage: .venv/bin/python scripts/bench_signing.py [--count N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from credentials.jsonld.canonical import canonicalize  # noqa: E402
from credentials.jsonld.loader import (  # noqa: E402
    DocumentLoader,
    build_document_loader,
    mcportal_context_url,
    pinned_contexts,
)
from credentials.signing.multikey import (  # noqa: E402
    did_key_from_public_key,
    did_key_verification_method,
    public_key_from_did_key,
)
from credentials.signing.proofs import proof_create, proof_verify  # noqa: E402
from tests.interop.samples import PORTAL_URL, openbadge_microcredential  # noqa: E402

OWN_URL = mcportal_context_url(PORTAL_URL)


def _pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity)"


def _cold_loader() -> DocumentLoader:
    """A loader with empty pyld caches (pinned files are already read and hash-checked)."""
    contexts = pinned_contexts(own_context_url=OWN_URL)
    return DocumentLoader({url: context.document for url, context in contexts.items()})


def _rate(count: int, operation: Callable[[], object]) -> str:
    """Operations per second by the wall clock and per second of this process's CPU time."""
    started, started_cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        operation()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return f"{count / wall:8.1f} /s wall-clock | {count / cpu:8.1f} /s of CPU time"


def _step_split(count: int, document: dict, key: Ed25519PrivateKey, method: str) -> dict:
    loader = build_document_loader(own_context_url=OWN_URL)
    config = {
        "@context": document["@context"],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-06-30T12:00:00Z",
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    timings: dict[str, list[float]] = {"canonicalise": [], "hash": [], "sign": []}
    for _ in range(count):
        started = time.perf_counter()
        canonical_config = canonicalize(config, document_loader=loader).encode()
        canonical_document = canonicalize(document, document_loader=loader).encode()
        canonicalised = time.perf_counter()
        data = hashlib.sha256(canonical_config).digest() + hashlib.sha256(canonical_document).digest()
        hashed = time.perf_counter()
        key.sign(data)
        signed = time.perf_counter()
        timings["canonicalise"].append(canonicalised - started)
        timings["hash"].append(hashed - canonicalised)
        timings["sign"].append(signed - hashed)
    return {step: statistics.mean(values) * 1000 for step, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="operations per measurement")
    count = parser.parse_args().count

    affinity = _pin_to_one_core()
    key = Ed25519PrivateKey.generate()
    method = did_key_verification_method(key.public_key())
    document = openbadge_microcredential(
        issuer_did=did_key_from_public_key(key.public_key()), own_context_url=OWN_URL
    )
    warm = build_document_loader(own_context_url=OWN_URL)
    created = datetime.now(UTC)

    def sign(loader: DocumentLoader) -> dict:
        return proof_create(
            document=document,
            private_key=key,
            verification_method=method,
            created=created,
            document_loader=loader,
        )

    signed = sign(warm)

    def verify(loader: DocumentLoader) -> None:
        result = proof_verify(
            document=signed, resolve_public_key=public_key_from_did_key, document_loader=loader
        )
        assert result.verified, result.errors

    verify(warm)  # warm-up: fills the loader's resolved-context and scoped-context caches
    cold_count = max(count // 5, 20)
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; {affinity}")
    print(
        f"document: OB 3.0 micro-credential, {len(canonicalize(document, document_loader=warm).splitlines())} N-Quads"
    )
    print(f"sign,   warm caches: {_rate(count, lambda: sign(warm))}")
    print(f"verify, warm caches: {_rate(count, lambda: verify(warm))}")
    print(f"sign,   cold caches: {_rate(cold_count, lambda: sign(_cold_loader()))}")
    print(f"verify, cold caches: {_rate(cold_count, lambda: verify(_cold_loader()))}")
    split = _step_split(count, document, key, method)
    total = sum(split.values())
    print(
        "per signature (warm): "
        + ", ".join(f"{step} {ms:.3f} ms ({ms / total:.0%})" for step, ms in split.items())
    )


if __name__ == "__main__":
    main()
