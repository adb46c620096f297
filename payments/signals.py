"""Signals payments sends to the apps above it, inside the sending service's transaction.

Receivers live in the listening app's receivers.py (enrollment/receivers.py) and make one service
call each, so their work commits or rolls back with the payment that caused it.
"""

from django.dispatch import Signal

# An order was paid in full and accepted (not flagged for finance); kwargs: order, payment.
# Sent once per order.
payment_succeeded = Signal()

# Money went back to the buyer; kwargs: order, payment, refund, fully_refunded (bool).
payment_refunded = Signal()
