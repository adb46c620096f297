"""Account pages: log in with an e-mail address, log out (POST only)."""
from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.contrib.auth.views import LoginView, LogoutView
from django.utils.translation import gettext_lazy as _


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


class PortalLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm


class PortalLogoutView(LogoutView):
    """Log out; Django accepts only POST here, so a link or prefetch cannot log anyone out."""

    http_method_names = ["post", "options"]
