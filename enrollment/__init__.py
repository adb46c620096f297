"""Learners in course runs, their results and completion."""
