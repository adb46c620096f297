"""manage.py seed_demo: load the demo alliance (idempotent: running it twice changes nothing)."""
import datetime as dt
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from courses import services as course_services
from courses.choices import CourseStatus
from courses.models import Course
from credentials.services.issuance import credential_issue
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from enrollment.services import enrollment_enrol, result_record
from enrollment.services.structure import run_assessment_save
from mcportal.core import clock
from mcportal.core.models import Institution, Membership, User

from ...checklist_demo import checklist_demo_load
from ...data import COURSES, DEMO_PASSWORD, INSTITUTIONS, LEARNER_COMPLETIONS, LEARNER_EMAIL, PEOPLE
from ...payments_demo import payments_demo_load
from ...verification_demo import verification_demo_load


class Command(BaseCommand):
    help = (
        "Create two alliance institutions, a user for every role, a dozen courses with runs and "
        "the demo learner's credentials."
    )

    def handle(self, *args, **options):
        # The demo's own notifications (enrolment confirmed, credential issued…) would flood the
        # console before the logins are printed: they go to an in-memory outbox instead.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._seed()

    @transaction.atomic
    def _seed(self):
        institutions = {spec["slug"]: self._institution(spec) for spec in INSTITUTIONS}
        users = {email: self._person(email, name, institutions.get(slug), roles)
                 for email, name, slug, roles in PEOPLE}
        registrars = {"muni": users["registrar@demo.test"], "ut": users["registrar.tartu@demo.test"]}
        created = sum(self._course(spec, institutions, registrars) for spec in COURSES)
        issued = sum(
            self._completion(users[LEARNER_EMAIL], slug, score, registrars)
            for slug, score in LEARNER_COMPLETIONS
        )
        states = verification_demo_load(complete=self._completion, registrars=registrars)
        self.stdout.write(f"Verification states: {states}.")
        checklist_filled = checklist_demo_load(institutions=institutions, users=users)
        self.stdout.write(f"Readiness checklist: {checklist_filled} activities filled in.")
        voucher_code = payments_demo_load(
            institutions=institutions, registrars=registrars, finance=users["finance@demo.test"]
        )
        self.stdout.write(
            f"Payments: priced runs have partner/corporate prices; try the voucher {voucher_code} "
            "(20 % off MUNI courses) and pay on the sandbox page."
        )
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {len(institutions)} institutions, {len(users)} people, "
            f"{created} new courses ({Course.objects.count()} in all), {issued} new credentials."
        ))
        self._print_logins()

    def _institution(self, spec: dict) -> Institution:
        institution, _ = Institution.objects.get_or_create(
            slug=spec["slug"], defaults={k: v for k, v in spec.items() if k != "slug"}
        )
        return institution

    def _person(self, email: str, name: str, institution, roles: list[str]) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            if "superuser" in roles:
                user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=name)
            else:
                user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name)
            user.email_verified_at = clock.now()
            user.save(update_fields=["email_verified_at"])
        for role in roles:
            if role != "superuser" and institution is not None:
                Membership.objects.get_or_create(user=user, institution=institution, role=role)
        return user

    def _course(self, spec: dict, institutions: dict, registrars: dict) -> int:
        if Course.objects.filter(slug=spec["slug"]).exists():
            return 0
        actor = registrars[spec["institution"]]
        course = course_services.course_create(
            institution=institutions[spec["institution"]],
            actor=actor,
            slug=spec["slug"],
            attributes=spec["attributes"],
            outcomes=spec["outcomes"],
            languages=spec["languages"],
            partner_institutions=[institutions[slug] for slug in spec["partners"]],
        )
        today = clock.today()
        now = clock.now()
        for kind, start_offset, end_offset, capacity, price in spec["runs"]:
            starts_on = today + dt.timedelta(days=start_offset)
            # Demo dates move with today, so the label is derived from the start date.
            label = f"{starts_on:%B %Y} {kind}"
            opens = now - dt.timedelta(days=14)
            closes = max(
                dt.datetime.combine(starts_on, dt.time(23, 59), tzinfo=dt.UTC),
                now + dt.timedelta(days=30),
            )
            course_services.course_run_create(
                course=course,
                actor=actor,
                attributes={
                    "label": label,
                    "starts_on": starts_on,
                    "ends_on": today + dt.timedelta(days=end_offset),
                    "enrolment_opens_at": opens,
                    "enrolment_closes_at": closes,
                    "capacity": capacity,
                    "price_amount": price,
                    "currency": "EUR",
                    "location": "" if spec["attributes"].get("participation_form") == "online"
                    else f"{institutions[spec['institution']].city}",
                },
            )
        if spec["publish"] and course.status == CourseStatus.DRAFT:
            course_services.course_publish(course=course, actor=actor)
        return 1

    def _completion(self, learner: User, slug: str, score, registrars: dict) -> int:
        """Enrol the learner in the course's first free run, pass it and issue the credential."""
        course = Course.objects.select_related("institution").get(slug=slug)
        actor = registrars[course.institution.slug]
        enrollment = Enrollment.objects.filter(learner=learner, run__course=course).first()
        if enrollment is None:
            run = course.runs.filter(price_amount=0).order_by("starts_on", "pk").first()
            enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
        if enrollment.status == EnrollmentStatus.ACTIVE:
            run = enrollment.run
            assessment = run.assessments.order_by("position").first() or run_assessment_save(
                run=run,
                actor=actor,
                attributes={
                    "position": 1, "title": "Final assessment", "kind": "exam", "weight": Decimal("100"),
                    "pass_mark": Decimal("50"), "is_required": True, "is_supervised": True,
                    "identity_verified": True,
                },
            )
            result_record(enrollment=enrollment, assessment=assessment, score=score, actor=actor)
            enrollment.refresh_from_db()
        # Idempotent: an existing credential is returned; the PDF renders after commit.
        return int(credential_issue(enrollment=enrollment, actor=actor).created)

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for email, name, slug, roles in PEOPLE:
            where = f" at {slug.upper()}" if slug else ""
            role_text = ", ".join(roles) if roles else "learner"
            self.stdout.write(f"  {email:<30} {role_text}{where} — {name}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)\n")
