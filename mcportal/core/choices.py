"""Enumerations of mcportal.core."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSTRUCTOR = "instructor", _("Instructor")
    REGISTRAR = "registrar", _("Registrar")
    FINANCE = "finance", _("Finance")
    LEADERSHIP = "leadership", _("Leadership")
    AUDITOR = "auditor", _("Auditor")
