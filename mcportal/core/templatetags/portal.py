"""Template tags shared by every page: query-string editing and sanitised Markdown."""
import re
from decimal import Decimal

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

from mcportal.core.money import Money

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "hr",
}


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """Return the current query string with some parameters replaced (for pagination and sorting)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def money(amount, currency: str = "EUR") -> str:
    """Format a Decimal amount in its currency (e.g. €1,250.00, 1,250.00 CZK)."""
    if amount is None or amount == "":
        return ""
    return str(Money(Decimal(amount), currency or "EUR"))


def _demote_headings(html: str) -> str:
    return re.sub(
        r"<(/?)h([1-6])>", lambda match: f"<{match[1]}h{min(int(match[2]) + 2, 6)}>", html
    )


@register.filter
def markdown(text: str) -> str:
    """Render Markdown typed by staff, then keep only safe tags (no scripts, styles or images)."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists"], output_format="html")
    # Headings inside a course description start at h3: the page owns h1 and h2.
    html = _demote_headings(html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 (sanitised by nh3 just above)
