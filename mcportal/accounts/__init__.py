"""Account pages: log in/out, sign-up, e-mail verification, password reset and change, profile."""
