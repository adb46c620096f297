"""Lowest layer of mcportal: people, institutions, roles, audit, errors, clock and money."""
