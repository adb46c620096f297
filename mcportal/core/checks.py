"""System checks for configuration that would otherwise fail at run time."""
from django.conf import settings
from django.core.checks import Error, Warning, register


@register(deploy=True)
def check_public_url(app_configs, **kwargs):
    problems = []
    if not settings.MCPORTAL_PUBLIC_URL.startswith("https://"):
        problems.append(
            Warning(
                "MCPORTAL_PUBLIC_URL does not use https.",
                hint="Verification links and QR codes printed on credentials use this origin.",
                id="core.W001",
            )
        )
    return problems


@register()
def check_database_engine(app_configs, **kwargs):
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        return [
            Error(
                f"Unsupported database engine {engine}.",
                hint="Set DATABASE_URL to a postgres:// URL, or leave it unset for SQLite.",
                id="core.E001",
            )
        ]
    return []
