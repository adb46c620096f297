"""Demo data for the embedded default: `manage.py seed_demo` (wiring: may use every app's services)."""
