"""The verification API (VC-API shaped)."""
