"""Signing: Multikey/did:key encodings and eddsa-rdfc-2022 Data Integrity proofs (pure functions)."""
