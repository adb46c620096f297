"""Public verification of credentials by URL, QR code, upload and API."""
