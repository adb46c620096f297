"""E-mail: content from templates/emails/<message>/, sent by a Celery task after the commit."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def email_render(*, message: str, context: Mapping[str, Any], language: str = "en") -> RenderedEmail:
    """Render templates/emails/<message>/{subject.txt, body.txt, body.html} in the language."""
    full_context = {
        "portal_name": settings.MCPORTAL_SITE_NAME,
        "portal_url": settings.MCPORTAL_PUBLIC_URL,
        **context,
    }
    with translation.override(language):
        subject = render_to_string(f"emails/{message}/subject.txt", full_context)
        body_text = render_to_string(f"emails/{message}/body.txt", full_context)
        body_html = render_to_string(f"emails/{message}/body.html", full_context)
    return RenderedEmail(subject=" ".join(subject.split()), body_text=body_text, body_html=body_html)


def email_schedule(
    *, to: str, message: str, context: Mapping[str, Any], language: str = "en"
) -> None:
    """Render the message now and send it from a Celery task once the transaction commits.

    Rendering happens here, inside the caller's transaction, so the e-mail shows the state that
    committed; the network call to the mail server happens in the task, outside any transaction.
    """
    from mcportal.core.tasks import email_send_task

    rendered = email_render(message=message, context=context, language=language)
    email_send_task.delay_on_commit(
        to=to, subject=rendered.subject, body_text=rendered.body_text, body_html=rendered.body_html
    )
