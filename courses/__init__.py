"""Microcredential offerings: courses with every EU element, runs, and the public catalogue."""
