"""Tests of the credentials app."""
