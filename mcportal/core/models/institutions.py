"""Institutions (awarding bodies) and the roles their staff hold in them."""
from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from mcportal.core.choices import Role

from .base import BaseModel

hex_colour_validator = RegexValidator(
    r"^#[0-9A-Fa-f]{6}$", _("Enter a colour as #RRGGBB, e.g. #0B5FFF.")
)


class Institution(BaseModel):
    """An awarding body: a university or other organisation that awards microcredentials."""

    legal_name = models.CharField(_("legal name"), max_length=255, unique=True)
    short_name = models.CharField(_("short name"), max_length=64)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=128, blank=True)
    street_address = models.CharField(_("street address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=128, blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="institutions/logos/", blank=True)
    brand_colour = models.CharField(
        _("brand colour"), max_length=7, default="#1F4E79", validators=[hex_colour_validator]
    )
    erasmus_code = models.CharField(_("Erasmus code"), max_length=32, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=32, blank=True)
    registration_number = models.CharField(
        _("company / registration number"), max_length=64, blank=True
    )
    ror_id = models.URLField(_("ROR identifier"), blank=True, help_text=_("https://ror.org/…"))
    pic = models.CharField(_("EU participant identification code (PIC)"), max_length=16, blank=True)
    is_alliance_member = models.BooleanField(_("member of the alliance"), default=True)

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.short_name or self.legal_name

    @property
    def address_lines(self) -> list[str]:
        city_line = " ".join(part for part in [self.postal_code, self.city] if part)
        return [
            line
            for line in [self.street_address, city_line, self.region, self.country.name]
            if line
        ]


class Membership(BaseModel):
    """One role that one user holds in one institution; a user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["institution__short_name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "institution", "role"], name="core_membership_unique_role"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="core_membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.institution}"
