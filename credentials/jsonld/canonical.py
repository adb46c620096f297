"""RDFC-1.0 canonical N-Quads of a JSON-LD document, refusing content that would not be signed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.nquads import serialize_nquad

from credentials.jsonld.loader import DocumentLoader, JsonLdLoaderError

# The same test jsonld.js uses for "absolute IRI" (anything else is dropped from the RDF).
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
# pyld 3.3 writes these raw, while RDFC-1.0 (and rdf-canonize) escape them as \uXXXX/\b/\f.
_UNPORTABLE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class CanonicalizationError(Exception):
    """The document cannot be canonicalised."""


class InvalidJsonLd(CanonicalizationError):
    """The document is not valid JSON-LD (pyld rejected it)."""


class UnsafeDocument(CanonicalizationError):
    """Some content would be silently left out of, or differ in, the canonical form."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


class CanonicalizationLimitExceeded(CanonicalizationError):
    """The blank-node structure needs more work than a conforming verifier allows."""


class _BoundedURDNA2015(URDNA2015):
    """URDNA2015 with rdf-canonize's default work limit (deep iterations ≤ non-unique nodes).

    Without it a crafted "poison" graph makes canonicalisation take exponential time; with
    the same limit as the JavaScript verifier we never sign what it would refuse to check.
    """

    def __init__(self) -> None:
        super().__init__()
        self._remaining: int | None = None

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> dict[str, Any]:
        if self._remaining is None:
            # Only non-unique first-degree hashes are left in the map when step 6 begins.
            self._remaining = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
        if self._remaining <= 0:
            raise CanonicalizationLimitExceeded(
                "blank node canonicalisation exceeded its work limit (possible poison graph)"
            )
        self._remaining -= 1
        return super().hash_n_degree_quads(id_, issuer)


class _CheckingProcessor(jsonld.JsonLdProcessor):
    """A pyld processor that refuses what would silently vanish and reuses scoped contexts.

    to_rdf expands once internally; checking inside that expansion avoids a second pass.
    """

    def __init__(self, scoped_context_memo: MutableMapping[Any, Any]) -> None:
        self._dropped: list[str | None] = []
        self._memo = scoped_context_memo
        super().__init__(on_property_dropped=self._dropped.append)

    def expand(self, input_: Any, options: dict[str, Any]) -> list[Any]:
        expanded = super().expand(input_, options)
        problems = [_dropped_message(term) for term in self._dropped]
        problems.extend(_relative_references(expanded))
        if problems:
            raise UnsafeDocument(problems)
        return expanded

    def _process_context(
        self,
        active_ctx: dict[str, Any],
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> dict[str, Any]:
        # pyld caches processed contexts by the active context's _uuid, but applies a
        # type-scoped (non-propagating) context to a fresh clone with a new _uuid, so it
        # re-processes OB's scoped contexts for every node: half the signing time. The
        # result only depends on the (frozen) active context and the scoped context, so it
        # is memoised here; the memo keeps local_ctx alive so its id() cannot be reused.
        uuid_ = active_ctx.get("_uuid")
        if propagate or override_protected or uuid_ is None:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        key = (uuid_, id(local_ctx), validate_scoped)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is local_ctx:
            return hit[1]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        self._memo[key] = (local_ctx, result)
        return result


def canonicalize(document: dict[str, Any], *, document_loader: DocumentLoader) -> str:
    """Return the RDFC-1.0 canonical N-Quads of ``document``.

    Raises UnsafeDocument if a term, type or IRI would be dropped or the output would not be
    portable to other RDFC-1.0 implementations; loader errors (e.g. ContextNotPinned) propagate.
    """
    # base None (as jsonld-signatures uses): pyld's default base would silently turn
    # relative references into http://example.org/base/... IRIs and sign those.
    options = document_loader.jsonld_options(
        base=None, rdfDirection="i18n-datatype", produceGeneralizedRdf=False
    )
    try:
        processor = _CheckingProcessor(document_loader.scoped_context_memo)
        dataset = processor.to_rdf(document, options)
    except jsonld.JsonLdError as error:
        raise _unwrap(error) from error
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        # pyld does not validate every shape it meets (e.g. "@type": null, a relative
        # @context URL) and fails with a plain Python error; for us that is invalid input.
        raise InvalidJsonLd(f"invalid JSON-LD: {error}") from error
    nquads = _BoundedURDNA2015().main(dataset, {"format": "application/n-quads"})
    problems = _portability_problems(nquads, dataset)
    if problems:
        raise UnsafeDocument(problems)
    return nquads


def _unwrap(error: jsonld.JsonLdError) -> Exception:
    """Surface the loader's own error (pyld wraps it twice) or a short InvalidJsonLd."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, JsonLdLoaderError):
            return cause
        cause = cause.__cause__
    innermost: BaseException = error
    while innermost.__cause__ is not None:
        innermost = innermost.__cause__
    code = getattr(innermost, "code", None) or getattr(innermost, "type", "")
    message = innermost.args[0] if innermost.args else type(innermost).__name__
    return InvalidJsonLd(f"invalid JSON-LD: {message} ({code})")


def _dropped_message(term: str | None) -> str:
    if term is None:
        return "a property is mapped to null or is a reserved @-keyword; it would not be signed"
    return f"property {term!r} is not defined by any @context; it would not be signed"


def _relative_references(node: Any) -> Iterator[str]:
    """Yield a message for each relative IRI or bad language tag in expanded JSON-LD."""
    if isinstance(node, list):
        for item in node:
            yield from _relative_references(item)
        return
    if not isinstance(node, dict):
        return
    if "@value" in node:
        datatype = node.get("@type")
        if datatype is not None and datatype != "@json" and not _ABSOLUTE_IRI.match(datatype):
            yield f"value type {datatype!r} is not an absolute IRI"
        language = node.get("@language")
        if language is not None and not _LANGUAGE_TAG.match(language):
            yield f"language tag {language!r} is not well-formed"
        return
    node_id = node.get("@id")
    if isinstance(node_id, str) and not _ABSOLUTE_IRI.match(node_id):
        yield f"id {node_id!r} is not an absolute IRI; it would not be signed"
    for node_type in node.get("@type", []):
        if not _ABSOLUTE_IRI.match(node_type):
            yield f"type {node_type!r} is not defined by any @context; it would not be signed"
    for key, value in node.items():
        if key not in ("@id", "@type"):
            yield from _relative_references(value)


def _portability_problems(nquads: str, dataset: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Find content on which pyld's output differs from other RDFC-1.0 implementations."""
    problems = [
        f"string contains control character U+{ord(char):04X}, which pyld does not "
        "escape as RDFC-1.0 requires"
        for char in sorted(set(_UNPORTABLE_CONTROL.findall(nquads)))
    ]
    if _ASTRAL.search(nquads) and not _sort_orders_agree(dataset):
        problems.append(
            "values mixing characters above U+FFFF with characters U+E000–U+FFFF sort "
            "differently in JavaScript (UTF-16) and RDFC-1.0 (code point) canonicalisers"
        )
    return problems


def _sort_orders_agree(dataset: dict[str, list[dict[str, Any]]]) -> bool:
    """True if no two comparable N-Quads terms sort differently by UTF-16 and by code point.

    Quads are compared term by term, and blank node labels are ASCII, so it is enough that
    IRIs agree among themselves and objects agree within each predicate.
    """
    iris: set[str] = set()
    objects: dict[str, set[str]] = {}
    for graph_name, triples in dataset.items():
        iris.add(graph_name)
        for triple in triples:
            iris.add(triple["subject"]["value"])
            iris.add(triple["predicate"]["value"])
            objects.setdefault(triple["predicate"]["value"], set()).add(_object_term(triple["object"]))
    return _orders_agree(iris) and all(_orders_agree(group) for group in objects.values())


def _object_term(term: dict[str, Any]) -> str:
    """Serialise one object term exactly as it appears in an N-Quads line."""
    line = serialize_nquad({"subject": _PLACEHOLDER, "predicate": _PLACEHOLDER, "object": term})
    return line[len(_PLACEHOLDER_PREFIX) :]


_PLACEHOLDER = {"type": "blank node", "value": "_:x"}
_PLACEHOLDER_PREFIX = "_:x _:x "


def _orders_agree(strings: set[str]) -> bool:
    ordered = sorted(strings)
    utf16 = [s.encode("utf-16-be") for s in ordered]
    return all(a <= b for a, b in zip(utf16, utf16[1:], strict=False))
