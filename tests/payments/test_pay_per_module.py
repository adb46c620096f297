"""Pay-per-module: a priced run sells its units; learners buy some, are assessed on those, buy more later."""

from decimal import Decimal

import pytest
from django.urls import reverse

from courses.services import course_run_cancel
from enrollment.choices import AssessmentKind, EnrollmentStatus
from enrollment.models import Enrollment, EnrollmentUnitAccess
from enrollment.selectors import enrollment_outcome_explain, run_roster
from enrollment.services import (
    checkout_order_create,
    enrollment_enrol,
    result_record,
    run_assessment_save,
    run_unit_save,
)
from mcportal.core.exceptions import Conflict, ValidationFailed
from mcportal.core.models import AuditEvent
from payments.choices import OrderStatus, PriceTier, ReviewReason
from payments.models import Order
from payments.services import refund_create
from tests.factories.courses import CourseRunFactory
from tests.factories.enrollment import LearnerFactory

from .conftest import buyer_details
from .helpers import pay_with_sandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(priced_run, instructor):
    """Three units of the 250 € run: two sold (100 € and 150 €), an introduction that comes with any."""
    intro = run_unit_save(run=priced_run, actor=instructor, attributes={"title": "Introduction"})
    genomes = run_unit_save(
        run=priced_run, actor=instructor, attributes={"title": "Genomes", "price_amount": Decimal("100.00")}
    )
    proteins = run_unit_save(
        run=priced_run, actor=instructor, attributes={"title": "Proteins", "price_amount": Decimal("150.00")}
    )
    return intro, genomes, proteins


@pytest.fixture
def assessments(priced_run, instructor, units):
    """An exam per sold unit (40 and 60 % of the grade), both required."""
    _intro, genomes, proteins = units
    genome_exam = run_assessment_save(
        run=priced_run, actor=instructor,
        attributes={"title": "Genome exam", "kind": AssessmentKind.EXAM, "weight": Decimal("40"),
                    "unit": genomes},
    )
    protein_exam = run_assessment_save(
        run=priced_run, actor=instructor,
        attributes={"title": "Protein exam", "kind": AssessmentKind.EXAM, "weight": Decimal("60"),
                    "unit": proteins},
    )
    return genome_exam, protein_exam


def _buy(enrollment, unit_list, **kwargs):
    return checkout_order_create(
        enrollment=enrollment, tier=kwargs.pop("tier", PriceTier.INDIVIDUAL),
        voucher_code=kwargs.pop("voucher_code", ""), buyer=buyer_details(**kwargs),
        actor=enrollment.learner, unit_ids=[unit.pk for unit in unit_list],
    )


def _record(enrollment, assessment, score: str, actor):
    return result_record(enrollment=enrollment, assessment=assessment, score=Decimal(score), actor=actor)


def _held(enrollment) -> list[str]:
    return list(
        EnrollmentUnitAccess.objects.filter(enrollment=enrollment, revoked_at__isnull=True)
        .order_by("unit__position").values_list("unit__title", flat=True)
    )


def test_the_order_has_one_line_per_chosen_unit_priced_on_the_server(pending_enrollment, units):
    _intro, genomes, proteins = units

    order = _buy(pending_enrollment, [proteins, genomes])

    lines = list(order.lines.order_by("position").values_list("purchasable", "unit_price", "total_amount"))
    run_id = pending_enrollment.run_id
    assert lines == [
        (f"run:{run_id}/unit:{genomes.pk}", Decimal("100.00"), Decimal("121.00")),
        (f"run:{run_id}/unit:{proteins.pk}", Decimal("150.00"), Decimal("181.50")),
    ]
    assert (order.subtotal_amount, order.total_amount) == (Decimal("250.00"), Decimal("302.50"))
    assert order.purchasable == f"enrollment:{pending_enrollment.pk}"


def test_a_tier_takes_the_same_share_off_each_unit_as_off_the_run(pending_enrollment, units):
    _intro, genomes, proteins = units  # the run: 250 € standard, 200 € partner (−20 %)

    order = _buy(pending_enrollment, [genomes, proteins], tier=PriceTier.PARTNER, company="Partner Uni")

    assert list(order.lines.order_by("position").values_list("unit_price", flat=True)) == [
        Decimal("80.00"), Decimal("120.00"),
    ]


def test_a_voucher_for_the_run_covers_its_units(pending_enrollment, units, make_voucher, priced_run):
    make_voucher("UNITS10", value=Decimal("10"), purchasables=[f"run:{priced_run.pk}"])
    _intro, genomes, _proteins = units

    order = _buy(pending_enrollment, [genomes], voucher_code="units10")

    assert (order.discount_amount, order.net_amount) == (Decimal("10.00"), Decimal("90.00"))


@pytest.mark.parametrize(
    ("pick_case", "code"),
    [("nothing", "required"), ("an_included_unit", "invalid"), ("a_unit_of_another_run", "invalid")],
)
def test_tampered_or_empty_unit_choices_are_refused_on_the_units_field(
    pending_enrollment, units, instructor, pick_case, code
):
    intro, _genomes, _proteins = units
    other_run = CourseRunFactory(course=pending_enrollment.run.course, price_amount=Decimal("90.00"))
    foreign = run_unit_save(run=other_run, actor=instructor,
                            attributes={"title": "Elsewhere", "price_amount": Decimal("5.00")})
    chosen = {"nothing": [], "an_included_unit": [intro], "a_unit_of_another_run": [foreign]}[pick_case]

    with pytest.raises(ValidationFailed) as caught:
        _buy(pending_enrollment, chosen)

    assert [(p.field, p.code) for p in caught.value.problems] == [("units", code)]
    assert not Order.objects.exists()


def test_paying_activates_the_enrolment_and_grants_exactly_the_bought_units(pending_enrollment, units):
    _intro, genomes, _proteins = units
    order = _buy(pending_enrollment, [genomes])

    pay_with_sandbox(order)

    pending_enrollment.refresh_from_db()
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE
    assert _held(pending_enrollment) == ["Genomes"]
    access = EnrollmentUnitAccess.objects.get()
    assert access.order_id == order.pk
    event = AuditEvent.objects.get(action="enrollment.units_granted")
    assert event.data["units"] == [genomes.pk]


def test_the_learner_buys_further_units_later_but_never_the_same_unit_twice(pending_enrollment, units):
    _intro, genomes, proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    pending_enrollment.refresh_from_db()

    with pytest.raises(ValidationFailed) as caught:
        _buy(pending_enrollment, [genomes])
    assert caught.value.problems[0].code == "already_bought"

    second = _buy(pending_enrollment, [proteins])
    assert second.total_amount == Decimal("181.50")
    pay_with_sandbox(second)

    second.refresh_from_db()
    assert second.status == OrderStatus.PAID and not second.needs_review
    assert _held(pending_enrollment) == ["Genomes", "Proteins"]


def test_a_run_sold_whole_refuses_a_second_checkout_once_active(make_order, pending_enrollment):
    pay_with_sandbox(make_order())
    pending_enrollment.refresh_from_db()

    with pytest.raises(Conflict):
        make_order()


def test_paying_again_for_units_already_held_is_flagged_as_a_second_payment(pending_enrollment, units):
    _intro, genomes, _proteins = units
    first = _buy(pending_enrollment, [genomes])
    pay_with_sandbox(first)
    # A second order for the same unit, made before the first was paid, e.g. in another tab.
    duplicate = Order.objects.create(
        **{field: getattr(first, field) for field in (
            "institution", "buyer", "purchasable", "tier", "currency", "subtotal_amount", "net_amount",
            "vat_rate", "vat_amount", "total_amount", "buyer_name", "buyer_email", "buyer_address",
        )},
        payment_reference="1999999999",
    )
    line = first.lines.get()
    line.pk, line.order = None, duplicate
    line.save()

    pay_with_sandbox(duplicate)

    duplicate.refresh_from_db()
    assert (duplicate.needs_review, duplicate.review_reason) == (True, ReviewReason.DUPLICATE_PAYMENT)
    assert EnrollmentUnitAccess.objects.count() == 1


def test_results_are_recorded_only_in_bought_units_and_the_credential_needs_every_unit(
    pending_enrollment, units, assessments, instructor
):
    genome_exam, protein_exam = assessments
    _intro, genomes, _proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))

    with pytest.raises(Conflict) as caught:
        _record(pending_enrollment, protein_exam, "90", instructor)
    assert caught.value.problems[0].code == "unit_not_bought"

    _record(pending_enrollment, genome_exam, "80", instructor)

    # The credential certifies the whole course: the required protein exam, in a unit not bought
    # yet, keeps the learner from completing, and the score stays over the whole run (80 % × 40).
    enrollment = Enrollment.objects.get(pk=pending_enrollment.pk)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    explanation = enrollment_outcome_explain(enrollment=enrollment)
    assert explanation.final_score == Decimal("32.00")
    assert any("Protein exam" in reason and "not bought yet" in reason for reason in explanation.unmet)


def test_buying_a_further_unit_brings_its_assessments_into_scope(
    pending_enrollment, units, assessments, instructor
):
    genome_exam, protein_exam = assessments
    _intro, genomes, proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    pay_with_sandbox(_buy(pending_enrollment, [proteins]))

    _record(pending_enrollment, genome_exam, "80", instructor)
    pending_enrollment.refresh_from_db()
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE  # the protein exam is required now

    _record(pending_enrollment, protein_exam, "50", instructor)
    pending_enrollment.refresh_from_db()
    assert (pending_enrollment.status, pending_enrollment.final_score) == (
        EnrollmentStatus.COMPLETED, Decimal("62.00")
    )


def test_a_full_refund_revokes_the_units_of_that_order(pending_enrollment, units, finance):
    _intro, genomes, _proteins = units
    payment = pay_with_sandbox(_buy(pending_enrollment, [genomes]))

    refund_create(payment=payment, amount=payment.amount, reason="Changed their mind", actor=finance)

    assert _held(pending_enrollment) == []
    access = EnrollmentUnitAccess.objects.get()
    assert access.revoked_at is not None
    assert AuditEvent.objects.filter(action="enrollment.units_revoked").count() == 1


def test_a_refunded_unit_with_a_result_stays_and_the_order_is_flagged(
    pending_enrollment, units, assessments, finance, instructor
):
    genome_exam, _protein_exam = assessments
    _intro, genomes, proteins = units
    order = _buy(pending_enrollment, [genomes, proteins])
    payment = pay_with_sandbox(order)
    _record(pending_enrollment, genome_exam, "30", instructor)

    refund_create(payment=payment, amount=payment.amount, reason="Course quality complaint", actor=finance)

    assert _held(pending_enrollment) == ["Genomes"]
    order.refresh_from_db()
    assert (order.needs_review, order.review_reason) == (True, ReviewReason.NOT_PAYABLE)
    assert "Genomes" in order.review_note


def test_a_partial_refund_leaves_the_units_alone(pending_enrollment, units, finance):
    _intro, genomes, proteins = units
    payment = pay_with_sandbox(_buy(pending_enrollment, [genomes, proteins]))

    refund_create(payment=payment, amount=Decimal("10.00"), reason="Goodwill", actor=finance)

    assert _held(pending_enrollment) == ["Genomes", "Proteins"]


def test_units_of_a_free_run_cannot_be_priced(instructor, institution):
    free = CourseRunFactory(course__institution=institution, price_amount=Decimal("0.00"))

    with pytest.raises(ValidationFailed) as caught:
        run_unit_save(run=free, actor=instructor, attributes={"title": "A", "price_amount": Decimal("9.00")})

    assert caught.value.problems[0].field == "price_amount"


def test_an_assessment_cannot_belong_to_a_unit_of_another_run(priced_run, instructor, units):
    other = CourseRunFactory(course=priced_run.course, price_amount=Decimal("10.00"))
    foreign = run_unit_save(run=other, actor=instructor, attributes={"title": "Elsewhere"})

    with pytest.raises(ValidationFailed) as caught:
        run_assessment_save(
            run=priced_run, actor=instructor,
            attributes={"title": "X", "kind": AssessmentKind.QUIZ, "weight": Decimal("10"), "unit": foreign},
        )

    assert caught.value.problems[0].field == "unit"


# ----------------------------------------------------------------------------- pages


def test_checkout_page_offers_the_units_and_refuses_a_tampered_unit_id(client_for, pending_enrollment, units):
    intro, genomes, proteins = units
    client = client_for(pending_enrollment.learner)
    url = f"/learning/enrolments/{pending_enrollment.pk}/checkout/"

    page = client.get(url).content.decode()
    assert "Buy units" in page
    assert "2. Genomes — 100.00 EUR" in page and "3. Proteins — 150.00 EUR" in page
    assert f'value="{intro.pk}"' not in page

    form = {"tier": "individual", "name": "Ada", "email": "ada@example.org", "address": "Brno",
            "price": "0.01"}
    tampered = client.post(url, {**form, "units": [str(intro.pk)]})
    assert tampered.status_code == 200
    assert "Select a valid choice" in tampered.content.decode()
    assert not Order.objects.exists()

    response = client.post(url, {**form, "units": [str(genomes.pk)]})
    order = Order.objects.get()
    assert response.status_code == 302 and str(order.public_id) in response["Location"]
    assert order.subtotal_amount == Decimal("100.00")  # the posted price is ignored


def test_dashboard_shows_bought_and_unbought_units_with_a_buy_link(client_for, pending_enrollment, units):
    _intro, genomes, proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))

    page = client_for(pending_enrollment.learner).get("/learning/").content.decode()

    assert "1. Introduction — included" in page
    assert "2. Genomes — <strong>bought</strong>" in page
    assert f"/learning/enrolments/{pending_enrollment.pk}/checkout/?unit={proteins.pk}" in page
    assert "Buy this unit" in page


def test_roster_names_the_units_each_learner_bought(
    client_for, instructor, pending_enrollment, units, priced_run
):
    _intro, genomes, _proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    other = LearnerFactory(full_name="Bob Pending")
    enrollment_enrol(learner=other, run=priced_run, actor=other)

    page = client_for(instructor).get(f"/staff/runs/{priced_run.pk}/").content.decode()

    assert "Units bought: 2. Genomes" in page
    assert "No unit bought yet" in page


def test_staff_price_a_unit_and_attach_an_assessment_to_it_on_the_structure_pages(
    client_for, instructor, priced_run
):
    client = client_for(instructor)

    response = client.post(f"/staff/runs/{priced_run.pk}/units/new/",
                           {"title": "Genomes", "price_amount": "99.50"})

    assert response.status_code == 302
    unit = priced_run.units.get()
    assert unit.price_amount == Decimal("99.50")
    assert AuditEvent.objects.get(action="unit.created").data["price"] == "99.50"
    form_page = client.get(f"/staff/runs/{priced_run.pk}/assessments/new/").content.decode()
    assert "1. Genomes" in form_page
    response = client.post(f"/staff/runs/{priced_run.pk}/assessments/new/", {
        "title": "Genome exam", "kind": "exam", "weight": "100", "pass_mark": "50", "is_required": "on",
        "unit": str(unit.pk),
    })
    assert response.status_code == 302
    assert priced_run.assessments.get().unit_id == unit.pk


def test_roster_scores_count_over_the_whole_run_and_name_the_units_bought(
    client_for, instructor, pending_enrollment, units, assessments, priced_run
):
    genome_exam, _protein_exam = assessments
    _intro, genomes, _proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    _record(pending_enrollment, genome_exam, "30", instructor)

    row = run_roster(run=priced_run).get(pk=pending_enrollment.pk)
    # 30 % in the only bought exam (weight 40): 30 × 40 / 100 = 12 % of the whole course so far.
    assert row.weighted_score == Decimal("12")
    assert row.units_bought[0].unit_id == genomes.pk


def test_the_admin_shows_the_units_an_enrolment_bought_read_only(client_for, pending_enrollment, units):
    _intro, genomes, _proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    superuser = LearnerFactory(is_staff=True, is_superuser=True)

    response = client_for(superuser).get(
        reverse("admin:enrollment_enrollment_change", args=[pending_enrollment.pk])
    )

    assert response.status_code == 200
    assert "2. Genomes" in response.content.decode()
    inline = next(f for f in response.context["inline_admin_formsets"]
                  if f.formset.model is EnrollmentUnitAccess)
    assert not inline.has_add_permission and not inline.has_delete_permission


def test_further_units_are_payable_until_the_run_ends_and_not_once_it_is_cancelled(
    pending_enrollment, units, registrar, priced_run
):
    _intro, genomes, proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    pending_enrollment.refresh_from_db()

    further = _buy(pending_enrollment, [proteins])
    assert further.payable_until.date() == priced_run.ends_on

    # Cancelled, but its enrolments not ended yet (that happens after the commit).
    course_run_cancel(run=priced_run, actor=registrar, reason="No lecturer.")
    with pytest.raises(Conflict):
        _buy(pending_enrollment, [proteins])


def test_units_cannot_go_on_sale_once_learners_were_admitted_to_the_whole_run(
    make_order, pending_enrollment, instructor, priced_run
):
    pay_with_sandbox(make_order())
    intro = run_unit_save(run=priced_run, actor=instructor, attributes={"title": "Introduction"})

    with pytest.raises(Conflict) as caught:
        run_unit_save(run=priced_run, actor=instructor, unit=intro, attributes={"price_amount": Decimal("9")})

    assert (caught.value.problems[0].field, caught.value.problems[0].code) == ("price_amount", "sold_whole")
    intro.refresh_from_db()
    assert intro.price_amount is None


def test_the_last_unit_price_stays_once_units_were_bought(pending_enrollment, units, instructor, priced_run):
    _intro, genomes, proteins = units
    pay_with_sandbox(_buy(pending_enrollment, [genomes]))
    run_unit_save(run=priced_run, actor=instructor, unit=proteins, attributes={"price_amount": None})
    run_unit_save(run=priced_run, actor=instructor, unit=genomes, attributes={"title": "Genomes 101"})

    with pytest.raises(Conflict) as caught:
        run_unit_save(run=priced_run, actor=instructor, unit=genomes, attributes={"price_amount": None})

    assert caught.value.problems[0].code == "sold_per_unit"


def test_a_whole_run_order_paid_after_units_went_on_sale_grants_every_unit(
    make_order, pending_enrollment, instructor, priced_run
):
    order = make_order()  # made while the run was still sold whole
    for title, price in (("Genomes", "100.00"), ("Proteins", "150.00")):
        run_unit_save(run=priced_run, actor=instructor,
                      attributes={"title": title, "price_amount": Decimal(price)})

    pay_with_sandbox(order)

    pending_enrollment.refresh_from_db()
    assert pending_enrollment.status == EnrollmentStatus.ACTIVE
    assert _held(pending_enrollment) == ["Genomes", "Proteins"]
