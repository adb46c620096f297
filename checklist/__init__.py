"""The D3.2 institutional readiness checklist and the leadership dashboard."""
