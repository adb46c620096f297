"""User services: sign-up, e-mail verification, profile changes and password changes.

Every change is atomic and audited; e-mails are rendered inside the transaction and sent by a
Celery task after it commits (mcportal.core.emails).
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from mcportal.core import clock
from mcportal.core.audit import audit_record
from mcportal.core.emails import email_schedule
from mcportal.core.exceptions import ApplicationError, Conflict, FieldProblem, ProblemList, ValidationFailed
from mcportal.core.models import AuditEvent, User

EMAIL_VERIFICATION_VALIDITY = dt.timedelta(days=3)
EMAIL_VERIFICATION_RESEND_INTERVAL = dt.timedelta(minutes=1)
PASSWORD_RESET_RESEND_INTERVAL = dt.timedelta(minutes=1)
PROFILE_EDITABLE_FIELDS = frozenset({"full_name", "date_of_birth", "preferred_language"})
FULL_NAME_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254
EARLIEST_DATE_OF_BIRTH = dt.date(1900, 1, 1)
SECONDS_PER_DAY = 24 * 60 * 60

# The 24 official languages of the EU: the code, the language's name for itself (shown first, so
# people find their own language whatever the page's language), and its translatable name.
PREFERRED_LANGUAGES = (
    ("bg", "български", _("Bulgarian")),
    ("cs", "čeština", _("Czech")),
    ("da", "dansk", _("Danish")),
    ("de", "Deutsch", _("German")),
    ("el", "ελληνικά", _("Greek")),
    ("en", "English", _("English")),
    ("es", "español", _("Spanish")),
    ("et", "eesti", _("Estonian")),
    ("fi", "suomi", _("Finnish")),
    ("fr", "français", _("French")),
    ("ga", "Gaeilge", _("Irish")),
    ("hr", "hrvatski", _("Croatian")),
    ("hu", "magyar", _("Hungarian")),
    ("it", "italiano", _("Italian")),
    ("lt", "lietuvių", _("Lithuanian")),
    ("lv", "latviešu", _("Latvian")),
    ("mt", "Malti", _("Maltese")),
    ("nl", "Nederlands", _("Dutch")),
    ("pl", "polski", _("Polish")),
    ("pt", "português", _("Portuguese")),
    ("ro", "română", _("Romanian")),
    ("sk", "slovenčina", _("Slovak")),
    ("sl", "slovenščina", _("Slovenian")),
    ("sv", "svenska", _("Swedish")),
)
PREFERRED_LANGUAGE_CODES = frozenset(code for code, _local, _name in PREFERRED_LANGUAGES)

_VERIFICATION_SALT = "mcportal.core.users.email_verification"
_ACTION_VERIFICATION_SENT = "user.email_verification_sent"
_ACTION_PASSWORD_RESET_SENT = "user.password_reset_sent"


class EmailVerificationLinkInvalid(ApplicationError):
    """The token is damaged, signed for something else, or names an account it no longer fits."""

    status_code = 400
    title = "This verification link is not valid"


class EmailVerificationLinkExpired(ApplicationError):
    """The token is genuine but older than EMAIL_VERIFICATION_VALIDITY."""

    status_code = 410
    title = "This verification link has expired"


class EmailAlreadyVerified(Conflict):
    """The address was verified before (with this link or another one)."""

    title = "This e-mail address is already verified"


class EmailVerificationResendTooSoon(ApplicationError):
    """The last verification e-mail went out less than EMAIL_VERIFICATION_RESEND_INTERVAL ago."""

    status_code = 429
    title = "Please wait before asking for another e-mail"

    def __init__(self, *, retry_after_seconds: int) -> None:
        super().__init__(
            ngettext(
                "We sent you a verification e-mail moments ago. You can ask for another one in "
                "%(seconds)s second.",
                "We sent you a verification e-mail moments ago. You can ask for another one in "
                "%(seconds)s seconds.",
                retry_after_seconds,
            )
            % {"seconds": retry_after_seconds}
        )
        self.retry_after_seconds = retry_after_seconds


def preferred_language_choices() -> list[tuple[str, str]]:
    """Return (code, label) pairs of the EU languages, labelled in the active language."""
    choices = []
    for code, local_name, name in PREFERRED_LANGUAGES:
        translated = str(name)
        choices.append((code, local_name if translated == local_name else f"{local_name} ({translated})"))
    return choices


def user_email_is_verified(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Tell whether the user is logged in and has proved that they receive mail at their address."""
    return bool(
        user is not None and user.is_authenticated and getattr(user, "email_verified_at", None)
    )


def _user_for_update(pk: int) -> User:
    return User.objects.select_for_update(no_key=True).get(pk=pk)


def _email_fingerprint(email: str) -> str:
    # A keyed digest rather than the address itself: links end up in logs and browser histories.
    return salted_hmac(_VERIFICATION_SALT, email.lower(), algorithm="sha256").hexdigest()[:24]


def _last_audited_at(user: User, action: str) -> dt.datetime | None:
    # The audit trail already records every e-mail sent; reading it under the user's row lock
    # gives a rate limit that holds across processes and follows mcportal.core.clock.
    return (
        AuditEvent.objects.filter(
            action=action, target_type=User._meta.label_lower, target_id=str(user.pk)
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def _profile_problems(changes: Mapping[str, Any]) -> ProblemList:
    problems = ProblemList()
    if "full_name" in changes:
        full_name = changes["full_name"]
        if not full_name:
            problems.add(
                gettext("Enter your name as it should appear on your credentials."),
                field="full_name", code="required",
            )
        elif len(full_name) > FULL_NAME_MAX_LENGTH:
            problems.add(
                gettext("Use at most %(count)s characters.") % {"count": FULL_NAME_MAX_LENGTH},
                field="full_name", code="max_length",
            )
    date_of_birth = changes.get("date_of_birth")
    if date_of_birth is not None:
        if date_of_birth > clock.today():
            problems.add(
                gettext("The date of birth cannot be in the future."),
                field="date_of_birth", code="future",
            )
        elif date_of_birth < EARLIEST_DATE_OF_BIRTH:
            problems.add(
                gettext("Check the year of the date of birth."), field="date_of_birth", code="too_early"
            )
    if "preferred_language" in changes and changes["preferred_language"] not in PREFERRED_LANGUAGE_CODES:
        problems.add(
            gettext("Choose one of the official languages of the EU."),
            field="preferred_language", code="invalid_choice",
        )
    return problems


def _password_problems(password: str, user: User) -> ProblemList:
    problems = ProblemList()
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as exc:
        for message in exc.messages:
            problems.add(message, field="password", code="weak")
    return problems


def _duplicate_email_problem() -> FieldProblem:
    # Says no more than sign-up must: the address is taken. Which account, and whether it is
    # verified or active, stays private.
    return FieldProblem(
        gettext(
            "This e-mail address is already registered. Log in, or reset your password if you "
            "have forgotten it."
        ),
        field="email",
        code="duplicate",
    )


def _absolute_url(path: str) -> str:
    # Links in e-mails use the configured public address, never the request's Host header.
    return f"{settings.MCPORTAL_PUBLIC_URL}{path}"


def email_verification_token_make(*, user: User) -> str:
    """Return a signed token proving that whoever holds it received mail at the user's address now."""
    return signing.dumps(
        {"u": user.pk, "e": _email_fingerprint(user.email), "t": int(clock.now().timestamp())},
        salt=_VERIFICATION_SALT,
    )


def _verification_email_schedule(user: User) -> None:
    token = email_verification_token_make(user=user)
    email_schedule(
        to=user.email,
        message="account_verification",
        context={
            "full_name": user.full_name or user.email,
            "verify_url": _absolute_url(reverse("accounts:verify_email", kwargs={"token": token})),
            "valid_days": EMAIL_VERIFICATION_VALIDITY.days,
        },
        language=user.preferred_language,
    )
    audit_record(actor=user, action=_ACTION_VERIFICATION_SENT, target=user)


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    full_name: str,
    date_of_birth: dt.date | None = None,
    preferred_language: str = "en",
) -> User:
    """Create an active, unverified learner account and e-mail a verification link after commit.

    Every problem (address taken, weak password, bad profile data) is raised at once as
    ValidationFailed; audits `user.registered` and `user.email_verification_sent`.
    """
    email = User.objects.normalize_email((email or "").strip()).lower()
    full_name = " ".join((full_name or "").split())
    profile = {
        "full_name": full_name,
        "date_of_birth": date_of_birth,
        "preferred_language": preferred_language,
    }
    problems = _profile_problems(profile)
    try:
        validate_email(email)
        email_is_valid = len(email) <= EMAIL_MAX_LENGTH
    except DjangoValidationError:
        email_is_valid = False
    if not email_is_valid:
        problems.add(gettext("Enter a valid e-mail address."), field="email", code="invalid")
    elif User.objects.filter(email__iexact=email).exists():
        problems.items.append(_duplicate_email_problem())
    user = User(email=email, **profile)
    problems.items.extend(_password_problems(password, user).items)
    if problems:
        raise ValidationFailed(gettext("Please correct the highlighted fields."), problems=problems.items)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        # A simultaneous sign-up with the same address committed first; the unique index decided.
        raise ValidationFailed(
            gettext("Please correct the highlighted fields."), problems=[_duplicate_email_problem()]
        ) from exc
    audit_record(
        actor=user, action="user.registered", target=user,
        data={"preferred_language": preferred_language},
    )
    _verification_email_schedule(user)
    return user


@transaction.atomic
def user_verification_resend(*, user: User) -> None:
    """E-mail the user a fresh verification link after commit, at most once a minute.

    Raises EmailAlreadyVerified or EmailVerificationResendTooSoon (with retry_after_seconds);
    audits `user.email_verification_sent`.
    """
    locked = _user_for_update(user.pk)
    if locked.email_verified_at is not None:
        raise EmailAlreadyVerified(gettext("Your e-mail address is already verified."))
    last_sent_at = _last_audited_at(locked, _ACTION_VERIFICATION_SENT)
    if last_sent_at is not None:
        wait = last_sent_at + EMAIL_VERIFICATION_RESEND_INTERVAL - clock.now()
        if wait > dt.timedelta(0):
            raise EmailVerificationResendTooSoon(retry_after_seconds=math.ceil(wait.total_seconds()))
    _verification_email_schedule(locked)


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    """Mark the address in the token as verified; audits `user.email_verified`.

    Raises EmailVerificationLinkInvalid (tampered, unknown user, address changed since),
    EmailAlreadyVerified (the link or another one was used already) or
    EmailVerificationLinkExpired (older than EMAIL_VERIFICATION_VALIDITY); nothing changes then.
    """
    invalid = EmailVerificationLinkInvalid(
        gettext("This verification link is not valid. Check that you copied the whole link.")
    )
    try:
        payload = signing.loads(token, salt=_VERIFICATION_SALT)
        user_pk, fingerprint = int(payload["u"]), str(payload["e"])
        issued_at = dt.datetime.fromtimestamp(int(payload["t"]), tz=dt.UTC)
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError) as exc:
        raise invalid from exc
    user = User.objects.select_for_update(no_key=True).filter(pk=user_pk, is_active=True).first()
    if user is None or not constant_time_compare(fingerprint, _email_fingerprint(user.email)):
        raise invalid
    if user.email_verified_at is not None:
        raise EmailAlreadyVerified(gettext("Your e-mail address is already verified."))
    if clock.now() - issued_at > EMAIL_VERIFICATION_VALIDITY:
        raise EmailVerificationLinkExpired(
            gettext("This verification link has expired. Links are valid for %(days)s days.")
            % {"days": EMAIL_VERIFICATION_VALIDITY.days}
        )
    user.email_verified_at = clock.now()
    user.save(update_fields=["email_verified_at"])
    audit_record(actor=user, action="user.email_verified", target=user)
    return user


@transaction.atomic
def user_profile_update(*, user: User, actor: User, changes: Mapping[str, Any]) -> User:
    """Change the user's name on credentials, date of birth or preferred language.

    Only the user or a superuser may; unchanged values are ignored; audits `user.profile_updated`
    with the fields that changed (the date of birth itself is kept out of the audit trail).
    """
    if actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied(gettext("You can only change your own profile."))
    unknown = sorted(set(changes) - PROFILE_EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            gettext("Some fields cannot be changed here."),
            problems=[FieldProblem(gettext("This field cannot be changed here."), field=name)
                      for name in unknown],
        )
    normalized = dict(changes)
    if "full_name" in normalized:
        normalized["full_name"] = " ".join((normalized["full_name"] or "").split())
    problems = _profile_problems(normalized)
    if problems:
        raise ValidationFailed(gettext("Please correct the highlighted fields."), problems=problems.items)

    locked = _user_for_update(user.pk)
    changed = {name: value for name, value in normalized.items() if getattr(locked, name) != value}
    if not changed:
        return locked
    before = {name: getattr(locked, name) for name in changed if name != "date_of_birth"}
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.save(update_fields=sorted(changed))
    audit_record(
        actor=actor,
        action="user.profile_updated",
        target=locked,
        data={
            "fields": sorted(changed),
            "before": before,
            "after": {name: value for name, value in changed.items() if name != "date_of_birth"},
        },
    )
    return locked


@transaction.atomic
def user_password_set(
    *, user: User, password: str, actor: User, via: Literal["reset_link", "password_change"]
) -> User:
    """Set a new password that passes the validators, and e-mail the owner a notice after commit.

    Audits `user.password_changed` with how the change was authorised.
    """
    locked = _user_for_update(user.pk)
    problems = _password_problems(password, locked)
    if problems:
        raise ValidationFailed(gettext("Choose a stronger password."), problems=problems.items)
    locked.set_password(password)
    locked.save(update_fields=["password"])
    audit_record(actor=actor, action="user.password_changed", target=locked, data={"via": via})
    email_schedule(
        to=locked.email,
        message="account_password_changed",
        context={
            "full_name": locked.full_name or locked.email,
            "reset_url": _absolute_url(reverse("accounts:password_reset")),
        },
        language=locked.preferred_language,
    )
    return locked


@transaction.atomic
def user_password_reset_email_schedule(*, user: User, token: str) -> None:
    """E-mail the user a link to choose a new password, after commit.

    A request less than a minute after the previous e-mail is skipped without an error, so that
    neither the caller nor the person asking learns whether the account exists; audits
    `user.password_reset_sent`.
    """
    locked = _user_for_update(user.pk)
    last_sent_at = _last_audited_at(locked, _ACTION_PASSWORD_RESET_SENT)
    if last_sent_at is not None and clock.now() - last_sent_at < PASSWORD_RESET_RESEND_INTERVAL:
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(locked.pk)), "token": token},
    )
    email_schedule(
        to=locked.email,
        message="account_password_reset",
        context={
            "full_name": locked.full_name or locked.email,
            "reset_url": _absolute_url(path),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // SECONDS_PER_DAY),
        },
        language=locked.preferred_language,
    )
    audit_record(actor=None, action=_ACTION_PASSWORD_RESET_SENT, target=locked)
