"""Celery tasks of mcportal.core: sending e-mail."""
from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="core.email_send",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 8},
    acks_late=True,
)
def email_send_task(*, to: str, subject: str, body_text: str, body_html: str) -> None:
    """Send one e-mail; connection errors retry with backoff (a repeat may send it twice)."""
    message = EmailMultiAlternatives(subject=subject, body=body_text, to=[to])
    message.attach_alternative(body_html, "text/html")
    message.send()
