"""Account pages: log in, log out (sign-up and profile come with enrolment)."""
