"""Every change to enrolments, run structure, results and completion; every interface calls these.

Each public service is keyword-only, atomic and audited, locks the run row before enrolment rows,
checks who may call it, and sends e-mail only after the transaction commits.
"""
from .checkout import (
    bundle_checkout_order_create,
    bundle_runs,
    checkout_order_create,
    checkout_order_paid,
    run_tier_prices,
)
from .completion import RunCloseSummary, enrollment_complete, run_close
from .enrolments import (
    enrollment_activate_after_payment,
    enrollment_cancel,
    enrollment_confirm_payment_manually,
    enrollment_enrol,
    enrollment_withdraw,
    run_enrolments_end_after_cancellation,
    run_waitlist_fill,
)
from .progress import unit_progress_clear, unit_progress_mark
from .results import result_record, results_import
from .structure import (
    run_assessment_delete,
    run_assessment_save,
    run_assessments_reorder,
    run_unit_delete,
    run_unit_save,
    run_units_reorder,
)
from .unit_sales import (
    enrollment_units_grant_after_payment,
    unit_access_revoke_after_refund,
    units_for_purchase,
)

__all__ = [
    "RunCloseSummary",
    "bundle_checkout_order_create",
    "bundle_runs",
    "checkout_order_create",
    "checkout_order_paid",
    "enrollment_activate_after_payment",
    "enrollment_cancel",
    "enrollment_complete",
    "enrollment_confirm_payment_manually",
    "enrollment_enrol",
    "enrollment_units_grant_after_payment",
    "enrollment_withdraw",
    "result_record",
    "results_import",
    "run_assessment_delete",
    "run_assessment_save",
    "run_assessments_reorder",
    "run_close",
    "run_enrolments_end_after_cancellation",
    "run_tier_prices",
    "run_unit_delete",
    "run_unit_save",
    "run_units_reorder",
    "run_waitlist_fill",
    "unit_access_revoke_after_refund",
    "unit_progress_clear",
    "unit_progress_mark",
    "units_for_purchase",
]
