"""Account forms: log in, sign up, profile and passwords. They validate input; mcportal.core.users saves."""
from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UsernameField,
)
from django.utils.translation import gettext_lazy as _

from mcportal.core.models import User
from mcportal.core.users import (
    EMAIL_MAX_LENGTH,
    FULL_NAME_MAX_LENGTH,
    preferred_language_choices,
    user_password_reset_email_schedule,
    user_password_set,
)

FULL_NAME_HELP = _(
    "Your name exactly as it should appear on your credentials, e.g. with accents and all given names."
)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for the e-mail address that is the user's login name."""

    username = UsernameField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail address and password do not match an account. "
            "Check them and try again."
        ),
    }


class _ProfileFieldsMixin(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=FULL_NAME_MAX_LENGTH,
        help_text=FULL_NAME_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth (optional)"),
        required=False,
        help_text=_("It helps to tell apart learners who share a name."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=preferred_language_choices,
        initial="en",
        help_text=_("The language of the e-mails we send you."),
    )


class SignUpForm(_ProfileFieldsMixin):
    """E-mail, name on credentials and password (twice); mcportal.core.users.user_register decides."""

    # Problems that user_register reports on "password" belong to the first password box.
    SERVICE_FIELD_NAMES = {"password": "password1"}

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("We send a link to this address to confirm that it is yours."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Type the same password again, to rule out a typing mistake."),
    )
    field_order = ["email", "full_name", "password1", "password2", "date_of_birth", "preferred_language"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read when the form is built, so the help follows the configured validators.
        self.fields["password1"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean_password2(self) -> str:
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data["password2"]
        if password1 and password1 != password2:
            raise forms.ValidationError(_("The two passwords differ."), code="password_mismatch")
        return password2

    def clean(self) -> dict:
        cleaned_data = super().clean()
        # user_register checks the password again; checking here as well reports a weak password
        # together with the form's other errors instead of on the next attempt.
        password = cleaned_data.get("password1")
        if password:
            candidate = User(email=cleaned_data.get("email", ""), full_name=cleaned_data.get("full_name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned_data


class ProfileForm(_ProfileFieldsMixin):
    """The profile fields a learner may change themselves (the e-mail address is not one)."""


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset request; the e-mail is scheduled by mcportal.core.users, sent by Celery."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        user_password_reset_email_schedule(user=context["user"], token=context["token"])


class PortalSetPasswordForm(SetPasswordForm):
    """Choose a new password from a reset link; saved and audited by user_password_set."""

    def save(self, commit: bool = True):
        self.user = user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"], actor=self.user, via="reset_link"
        )
        return self.user


class PortalPasswordChangeForm(PasswordChangeForm):
    """Change the password knowing the current one; saved and audited by user_password_set."""

    def save(self, commit: bool = True):
        # The view refreshes the session hash from self.user, so it must carry the new password.
        self.user = user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"], actor=self.user,
            via="password_change",
        )
        return self.user
