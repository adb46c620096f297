"""Signals courses sends to the apps above it (enrollment listens in enrollment/receivers.py)."""

from django.dispatch import Signal

# A run was cancelled and the cancellation committed; kwargs: run, actor, reason.
# Sent once per run, after commit: the enrolments of the run are ended by enrollment in its own
# transaction (the run stays cancelled even if that fails; enrollment can be re-run for the run).
run_cancelled = Signal()
