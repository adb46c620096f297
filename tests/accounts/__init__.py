"""Tests of accounts: sign-up, verification, password reset and change, profile."""
