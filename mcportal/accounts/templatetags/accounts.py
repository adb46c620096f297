"""Template tags of accounts: whether the page should remind the user to verify their e-mail."""
from django import template

from mcportal.core.users import user_email_is_verified

register = template.Library()


@register.simple_tag(takes_context=True)
def email_verification_pending(context) -> bool:
    """True for a logged-in user whose e-mail address is not verified yet."""
    user = context.get("user")
    return bool(user is not None and user.is_authenticated and not user_email_is_verified(user))
