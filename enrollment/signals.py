"""Signals enrolment sends to apps above it (credentials), inside the sending service's transaction.

Receivers live in the listening app's receivers.py and make one service call or one
delay_on_commit each, so their work commits or rolls back with the change that caused it.
"""
from django.dispatch import Signal

# An enrolment became COMPLETED; kwargs: enrollment. Sent once per enrolment.
enrollment_completed = Signal()

# A correction changed a COMPLETED enrolment's final score or grade (it still passes);
# kwargs: enrollment, previous_final_score, previous_final_grade. Credentials issued with the
# previous grade are out of date.
enrollment_regraded = Signal()
