"""Account pages: log in/out, sign up, e-mail verification, password reset and change, profile."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import FormView, TemplateView

from mcportal.core.exceptions import ValidationFailed
from mcportal.core.forms import form_add_problems
from mcportal.core.users import (
    EMAIL_VERIFICATION_VALIDITY,
    PREFERRED_LANGUAGE_CODES,
    EmailAlreadyVerified,
    EmailVerificationLinkExpired,
    EmailVerificationLinkInvalid,
    EmailVerificationResendTooSoon,
    user_email_is_verified,
    user_email_verify,
    user_profile_update,
    user_register,
    user_verification_resend,
)

from .forms import (
    EmailAuthenticationForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    ProfileForm,
    SignUpForm,
)


def _safe_next(request: HttpRequest) -> str:
    """The ?next= (or posted next) address if it points into this site, else an empty string."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


class PortalLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm


class PortalLogoutView(auth_views.LogoutView):
    """Log out; Django accepts only POST here, so a link or prefetch cannot log anyone out."""

    http_method_names = ["post", "options"]


class SignUpView(FormView):
    """Create a learner account, log it in and send the verification e-mail."""

    template_name = "accounts/signup.html"
    form_class = SignUpForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(_safe_next(request) or reverse("accounts:profile"))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self) -> dict:
        language = getattr(self.request, "LANGUAGE_CODE", "en")
        return {"preferred_language": language if language in PREFERRED_LANGUAGE_CODES else "en"}

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(next=_safe_next(self.request), **kwargs)

    def form_valid(self, form: SignUpForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            user = user_register(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                date_of_birth=data["date_of_birth"],
                preferred_language=data["preferred_language"],
            )
        except ValidationFailed as exc:
            form_add_problems(form, exc.problems, SignUpForm.SERVICE_FIELD_NAMES)
            return self.form_invalid(form)
        login(self.request, user)
        target = reverse("accounts:verification_sent")
        next_url = _safe_next(self.request)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


class VerificationSentView(LoginRequiredMixin, TemplateView):
    """"Check your inbox": where the link went, and a button to send it again."""

    template_name = "accounts/verification_sent.html"

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            email_verified=user_email_is_verified(self.request.user),
            valid_days=EMAIL_VERIFICATION_VALIDITY.days,
            next=_safe_next(self.request),
            # This page says it already; the banner would repeat it.
            hide_verification_banner=True,
            **kwargs,
        )


@require_POST
def verification_resend_view(request: HttpRequest) -> HttpResponse:
    """Send the verification link again (rate-limited by the service), then go back."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("accounts:verification_sent"))
    try:
        user_verification_resend(user=request.user)
    except EmailAlreadyVerified as exc:
        messages.info(request, exc.message)
    except EmailVerificationResendTooSoon as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request,
            _("We sent a new link to %(email)s. It is valid for %(days)s days.")
            % {"email": request.user.email, "days": EMAIL_VERIFICATION_VALIDITY.days},
        )
    return redirect(_safe_next(request) or reverse("accounts:verification_sent"))


@require_GET
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """Confirm the address from the e-mailed link; every kind of bad link gets its own page."""
    status, outcome = 200, "verified"
    try:
        user_email_verify(token=token)
    except EmailAlreadyVerified:
        outcome = "already_verified"
    except EmailVerificationLinkExpired:
        status, outcome = 410, "expired"
    except EmailVerificationLinkInvalid:
        status, outcome = 400, "invalid"
    return render(
        request,
        "accounts/verify_email.html",
        {
            "outcome": outcome,
            "valid_days": EMAIL_VERIFICATION_VALIDITY.days,
            # request.user was loaded before the verification and may still look unverified.
            "hide_verification_banner": True,
        },
        status=status,
    )


class ProfileView(LoginRequiredMixin, FormView):
    """The learner's name on credentials, date of birth and preferred language."""

    template_name = "accounts/profile.html"
    form_class = ProfileForm

    def get_initial(self) -> dict:
        user = self.request.user
        return {
            "full_name": user.full_name,
            "date_of_birth": user.date_of_birth,
            "preferred_language": user.preferred_language,
        }

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            email_verified=user_email_is_verified(self.request.user), **kwargs
        )

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        try:
            user_profile_update(user=self.request.user, actor=self.request.user, changes=form.cleaned_data)
        except ValidationFailed as exc:
            form_add_problems(form, exc.problems)
            return self.form_invalid(form)
        messages.success(self.request, _("Your profile has been saved."))
        return redirect("accounts:profile")


class PortalPasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link; the answer is the same whether or not the address has an account."""

    template_name = "accounts/password_reset_form.html"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PortalPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PortalPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from the e-mailed link (a used or expired link gets a friendly page)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PortalPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PortalPasswordChangeView(auth_views.PasswordChangeView):
    """Change the password knowing the current one; the session stays logged in."""

    template_name = "accounts/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form: PortalPasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response
