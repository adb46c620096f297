"""Invoice, credit note and pro-forma PDFs: WeasyPrint renders the frozen document content, fetching nothing.

The template carries its stylesheet inline, so the URL fetcher refuses every URL except data:
URIs: rendering never touches the network or the file system.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

TEMPLATE_NAME = "payments/pdf/invoice.html"


class ResourceRefused(Exception):
    """The invoice template asked for an external resource; nothing was fetched."""


class NoNetworkURLFetcher(URLFetcher):
    """Serve data: URIs only; any other URL is refused (fatally, so no half-rendered invoice)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), fail_on_errors=True)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.partition(":")[0].lower() != "data":
            raise ResourceRefused(f"Invoices load no external resources, not {url[:200]!r}.")
        return super().fetch(url, headers)


def document_pdf_render(
    *, title: str, number: str, issued_on: str, content: dict, extra: dict | None = None
) -> bytes:
    """Render one billing document (invoice, credit note or pro-forma) from its content to PDF bytes."""
    html = render_to_string(
        TEMPLATE_NAME,
        {"title": title, "number": number, "issued_on": issued_on, "doc": content, **(extra or {})},
    )
    return HTML(string=html, base_url="data:,", url_fetcher=NoNetworkURLFetcher()).write_pdf()
