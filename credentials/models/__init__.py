"""Models of credentials, one module per aggregate, re-exported for Django's discovery."""
from .batch import IssuanceBatch, IssuanceBatchItem
from .credential import Credential
from .name_change import NameChangeRequest
from .signing_key import KEY_TRANSITIONS, KeyStatus, SigningKey
from .status_list import StatusList, StatusListEntry
from .x509 import PORTAL_ONLY_KINDS, DocumentSigningIdentity, DocumentSigningIdentityKind

__all__ = [
    "Credential",
    "IssuanceBatch",
    "IssuanceBatchItem",
    "NameChangeRequest",
    "StatusList",
    "StatusListEntry",
    "KEY_TRANSITIONS",
    "PORTAL_ONLY_KINDS",
    "DocumentSigningIdentity",
    "DocumentSigningIdentityKind",
    "KeyStatus",
    "SigningKey",
]
