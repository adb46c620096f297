"""Back-office admin for issuer keys and PDF-signing certificates (public parts only), and a
read-only view of learners' name-change requests.

Private keys (even encrypted) are never shown, searched, filtered or ordered on. Rows come only
from the services: "Add" generates a key or imports a PKCS#12 through them, actions rotate and
retire, and nothing is edited or deleted here. Non-superusers manage only institutions where
they may issue credentials; the portal's own keys are for superusers.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from credentials.did import did_web_document_url
from credentials.did_resolution import issuer_did_for
from credentials.models import (
    DocumentSigningIdentity,
    DocumentSigningIdentityKind,
    KeyStatus,
    NameChangeRequest,
    SigningKey,
)
from credentials.services.keys import signing_key_generate, signing_key_retire, signing_key_rotate
from credentials.services.x509 import (
    document_signing_identity_import_pkcs12,
    document_signing_identity_retire,
)
from mcportal.core.exceptions import ApplicationError
from mcportal.core.models import Institution
from mcportal.core.roles import Capability, institutions_for_capability, user_has_capability

SECRET_FIELD = "private_key_encrypted"
PKCS12_MAX_BYTES = 1024 * 1024


class KeyManagementRefused(Exception):
    """The admin user may not manage keys of this owner; raised inside the admin's transaction."""


def _may_manage(user, institution: Institution | None) -> bool:
    if user.is_superuser:
        return True
    return institution is not None and user_has_capability(user, Capability.CREDENTIAL_ISSUE, institution)


def _owner_label(institution: Institution | None) -> str:
    return str(institution) if institution is not None else gettext("the portal")


class KeyMaterialAdmin(admin.ModelAdmin):
    """Shared rules: scoped rows, no edits, no deletes, no lookups on the secret column."""

    exclude = [SECRET_FIELD]
    list_select_related = ["institution"]
    display_fields: list[str] = []
    add_fields: list[str] = ["institution"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).defer(SECRET_FIELD)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            institution__in=institutions_for_capability(request.user, Capability.CREDENTIAL_ISSUE)
        )

    def lookup_allowed(self, lookup, value, request=None):
        # As Django refuses lookups on password: the ciphertext is not even searchable.
        if SECRET_FIELD in lookup:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request, obj=None):
        return list(self.add_fields) if obj is None else list(self.display_fields)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else list(self.display_fields)

    def has_change_permission(self, request, obj=None):
        # Objects are view-only; the changelist-level permission enables the actions.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Retired keys must stay: what they signed is verified against them.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "institution" and not request.user.is_superuser:
            kwargs["queryset"] = institutions_for_capability(request.user, Capability.CREDENTIAL_ISSUE)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, KeyManagementRefused) as error:
            # Raised from save_model inside the admin's transaction, so nothing was saved.
            self.message_user(
                request, gettext("Nothing was saved: %(reason)s") % {"reason": error}, messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("owner"))
    def owner(self, obj):
        return _owner_label(obj.institution)

    def _each(self, request, queryset, service, done_message: str) -> None:
        for item in queryset.select_related("institution").order_by("pk"):
            if not _may_manage(request.user, item.institution):
                self.message_user(
                    request,
                    gettext("%(item)s was left unchanged: you may not manage keys of %(owner)s.")
                    % {"item": item, "owner": _owner_label(item.institution)},
                    messages.ERROR,
                )
                continue
            if item.status != KeyStatus.ACTIVE:
                self.message_user(
                    request, gettext("%(item)s was left unchanged: it is retired.") % {"item": item},
                    messages.WARNING,
                )
                continue
            try:
                service(request, item)
            except ApplicationError as error:
                self.message_user(
                    request,
                    gettext("%(item)s was left unchanged: %(reason)s") % {"item": item, "reason": error},
                    messages.ERROR,
                )
            else:
                self.message_user(request, done_message % {"owner": _owner_label(item.institution)},
                                  messages.SUCCESS)


@admin.register(SigningKey)
class SigningKeyAdmin(KeyMaterialAdmin):
    list_display = ["owner", "status", "public_key_multibase", "created_at", "retired_at"]
    list_filter = ["status", "institution"]
    search_fields = ["public_key_multibase", "institution__short_name", "institution__slug"]
    display_fields = [
        "owner", "status", "public_key_multibase", "fingerprint", "verification_method",
        "did_document_url", "created_at", "retired_at",
    ]
    actions = ["rotate_keys", "retire_keys"]

    @admin.display(description=_("SHA-256 fingerprint"))
    def fingerprint(self, obj):
        return obj.fingerprint

    @admin.display(description=_("verification method"))
    def verification_method(self, obj):
        return f"{issuer_did_for(obj.institution)}#{obj.public_key_multibase}"

    @admin.display(description=_("DID document"))
    def did_document_url(self, obj):
        return did_web_document_url(issuer_did_for(obj.institution))

    def save_model(self, request, obj, form, change):
        # "Add" generates a key through the service; the form only chooses its owner.
        institution = form.cleaned_data.get("institution")
        if not _may_manage(request.user, institution):
            raise KeyManagementRefused(gettext("only a superuser may generate the portal's own key."))
        key = signing_key_generate(institution=institution, actor=request.user)
        obj.pk = key.pk
        obj.refresh_from_db(fields=["public_key_multibase", "status", "created_at", "updated_at"])

    @admin.action(description=_("Rotate: a new key signs from now on (the old one stays published)"),
                  permissions=["change"])
    def rotate_keys(self, request, queryset):
        self._each(
            request, queryset,
            lambda request, key: signing_key_rotate(institution=key.institution, actor=request.user),
            gettext("A new signing key of %(owner)s is active; the previous one is retired."),
        )

    @admin.action(description=_("Retire without a successor (nothing is signed until a new key)"),
                  permissions=["change"])
    def retire_keys(self, request, queryset):
        self._each(
            request, queryset,
            lambda request, key: signing_key_retire(signing_key=key, actor=request.user),
            gettext("The signing key of %(owner)s is retired."),
        )


class Pkcs12ImportForm(forms.ModelForm):
    """Choose the owner and kind, upload a PKCS#12 file; the service does the rest."""

    pkcs12 = forms.FileField(label=_("PKCS#12 file (.p12, .pfx)"))
    password = forms.CharField(
        label=_("password of the file"), required=False, strip=False, widget=forms.PasswordInput
    )

    class Meta:
        model = DocumentSigningIdentity
        fields = ["institution", "kind"]

    def clean_pkcs12(self):
        upload = self.cleaned_data["pkcs12"]
        if upload.size > PKCS12_MAX_BYTES:
            raise forms.ValidationError(gettext("A PKCS#12 file is at most 1 MB."))
        return upload


@admin.register(DocumentSigningIdentity)
class DocumentSigningIdentityAdmin(KeyMaterialAdmin):
    form = Pkcs12ImportForm
    list_display = ["owner", "kind", "status", "subject", "valid_from", "valid_until"]
    list_filter = ["kind", "status", "institution"]
    search_fields = ["subject", "issuer", "fingerprint_sha256", "institution__short_name"]
    add_fields = ["institution", "kind", "pkcs12", "password"]
    display_fields = [
        "owner", "kind", "status", "subject", "issuer", "serial_number", "fingerprint_sha256",
        "valid_from", "valid_until", "created_at", "retired_at",
    ]
    actions = ["retire_identities"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind" and not request.user.is_superuser:
            # The portal CA and timestamping key are the portal's, so superusers' alone.
            kwargs["choices"] = [(DocumentSigningIdentityKind.DOCUMENT_SIGNER.value,
                                  DocumentSigningIdentityKind.DOCUMENT_SIGNER.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @method_decorator(sensitive_post_parameters("password"))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        institution = form.cleaned_data.get("institution")
        if not _may_manage(request.user, institution):
            raise KeyManagementRefused(gettext("only a superuser may store the portal's certificates."))
        identity = document_signing_identity_import_pkcs12(
            institution=institution,
            kind=form.cleaned_data["kind"],
            pkcs12_data=form.cleaned_data["pkcs12"].read(),
            password=form.cleaned_data.get("password") or None,
            actor=request.user,
        )
        obj.pk = identity.pk
        obj.refresh_from_db(fields=["subject", "fingerprint_sha256", "status", "created_at", "updated_at"])

    @admin.action(description=_("Retire (stop signing with it)"), permissions=["change"])
    def retire_identities(self, request, queryset: QuerySet[DocumentSigningIdentity]):
        self._each(
            request, queryset,
            lambda request, identity: document_signing_identity_retire(identity=identity, actor=request.user),
            gettext("A certificate of %(owner)s is retired."),
        )


@admin.register(NameChangeRequest)
class NameChangeRequestAdmin(admin.ModelAdmin):
    """Read-only: where a request stands, for support. Decisions are made on the staff page.

    The names and the learner's explanation are personal data the back-office does not need, so
    they are neither shown nor searchable; the staff page (linked) shows them to the registrar.
    """

    list_display = ["credential_code", "institution", "status", "created_at", "decided_at"]
    list_filter = ["status", "credential__institution"]
    list_select_related = ["credential__institution", "new_credential"]
    search_fields = ["credential__verification_code", "new_credential__verification_code"]
    fields = readonly_fields = [
        "credential_code", "institution", "status", "created_at", "decided_at", "decided_by",
        "new_credential_code", "staff_page",
    ]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("decided_by")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            credential__institution__in=institutions_for_capability(
                request.user, Capability.CREDENTIAL_REVOKE
            )
        )

    def has_add_permission(self, request):
        return False  # a learner asks on their credentials page

    def has_change_permission(self, request, obj=None):
        return False  # approve or reject on the staff page, which reissues through the service

    def has_delete_permission(self, request, obj=None):
        return False  # the decision trail stays

    @admin.display(description=_("credential"), ordering="credential__verification_code")
    def credential_code(self, obj):
        return obj.credential.verification_code

    @admin.display(description=_("institution"), ordering="credential__institution__short_name")
    def institution(self, obj):
        return obj.credential.institution

    @admin.display(description=_("reissued as"))
    def new_credential_code(self, obj):
        return obj.new_credential.verification_code if obj.new_credential_id else "—"

    @admin.display(description=_("staff page"))
    def staff_page(self, obj):
        url = reverse("credentials_staff:name_change", kwargs={"request_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, gettext("Open the request on the staff page"))
