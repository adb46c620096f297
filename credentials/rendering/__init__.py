"""Human-readable credentials: the WeasyPrint certificate PDF, its QR code, PAdES sealing and its PKI."""
