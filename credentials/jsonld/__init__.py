"""JSON-LD for credentials: pinned contexts, the offline loader and RDF canonicalisation."""
