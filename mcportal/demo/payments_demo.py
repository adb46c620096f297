"""Demo pricing and billing: tier prices, billing profiles, a voucher to try, a run sold per unit.

Loaded by seed_demo; a second run changes nothing (existing tier prices, profiles and vouchers stay).
The sandbox provider is the embedded default (MCPORTAL_PAYMENT_PROVIDERS), so the demo pays on the
portal's own test payment page.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from courses.models import CourseRun
from courses.services import course_run_update
from enrollment.models import Unit
from enrollment.services import run_assessment_save, run_unit_save
from mcportal.core.models import Institution, User
from payments.models import BillingProfile, Bundle, Voucher
from payments.services import bundle_create, voucher_create

DEMO_VOUCHER_CODE = "DEMO20"
PARTNER_SHARE = Decimal("0.80")
CORPORATE_SHARE = Decimal("1.50")
BILLING = {
    "muni": {"vat_rate": Decimal("21.00"), "iban": "CZ6508000000192000145399", "bic": "GIBACZPX"},
    "ut": {"vat_rate": Decimal("24.00"), "iban": "EE382200221020145685", "bic": "HABAEE2X"},
}


def payments_demo_load(
    *, institutions: dict[str, Institution], registrars: dict[str, User], finance: User
) -> str:
    """Set up the demo's billing and tier prices; return the voucher code learners can try."""
    for slug, institution in institutions.items():
        BillingProfile.objects.get_or_create(
            institution=institution,
            defaults={**BILLING.get(slug, {}), "bank_account_name": institution.legal_name},
        )
    for run in CourseRun.objects.filter(price_amount__gt=0, price_partner_amount__isnull=True).select_related(
        "course__institution"
    ):
        registrar = registrars.get(run.course.institution.slug)
        if registrar is None:
            continue
        course_run_update(
            run=run,
            actor=registrar,
            changes={
                "price_partner_amount": (run.price_amount * PARTNER_SHARE).quantize(
                    Decimal("1"), ROUND_HALF_UP
                ),
                "price_corporate_amount": (run.price_amount * CORPORATE_SHARE).quantize(
                    Decimal("1"), ROUND_HALF_UP
                ),
            },
        )
    muni = institutions["muni"]
    muni_priced = list(
        CourseRun.objects.filter(
            course__institution=muni, price_amount__gt=0, course__status="published"
        ).order_by("starts_on", "pk")[:2]
    )
    if len(muni_priced) == 2 and not Bundle.objects.filter(institution=muni).exists():
        bundle_create(
            institution=muni,
            actor=finance,
            attributes={
                "name": "MUNI two-course pack",
                "description": "Both courses for one fee.",
                "price_amount": (sum(run.price_amount for run in muni_priced) * Decimal("0.85")).quantize(
                    Decimal("1"), ROUND_HALF_UP
                ),
                "currency": "EUR",
                "purchasables": [f"run:{run.pk}" for run in muni_priced],
            },
        )
    _per_unit_run_load(muni=muni, registrar=registrars.get("muni"))
    if not Voucher.objects.filter(institution=muni, code=DEMO_VOUCHER_CODE).exists():
        voucher_create(
            institution=muni,
            actor=finance,
            attributes={
                "code": DEMO_VOUCHER_CODE,
                "kind": "percent",
                "value": Decimal("20"),
                "max_uses": 100,
            },
        )
    return DEMO_VOUCHER_CODE


# Pay-per-module demo: the units of one MUNI run, each with its share of the run's price and an
# exam of the same weight, so a learner who buys some units is assessed on those.
DEMO_UNITS = [
    ("Foundations", Decimal("0.40")),
    ("Methods in practice", Decimal("0.35")),
    ("Case studies", Decimal("0.25")),
]


def _per_unit_run_load(*, muni: Institution, registrar: User | None) -> None:
    """Make the latest priced MUNI run sell its units separately (once; later runs change nothing)."""
    run = (
        CourseRun.objects.filter(course__institution=muni, price_amount__gt=0, course__status="published")
        .order_by("-starts_on", "-pk")
        .first()
    )
    if registrar is None or run is None or Unit.objects.filter(run=run).exists() or run.assessments.exists():
        return
    for title, share in DEMO_UNITS:
        unit = run_unit_save(
            run=run,
            actor=registrar,
            attributes={"title": title, "price_amount": (run.price_amount * share).quantize(Decimal("0.01"))},
        )
        run_assessment_save(
            run=run,
            actor=registrar,
            attributes={
                "title": f"{title}: exam", "kind": "exam", "weight": share * 100, "pass_mark": Decimal("50"),
                "is_required": True, "is_supervised": True, "identity_verified": True, "unit": unit,
            },
        )
