"""Models of mcportal.core, one module per aggregate, re-exported for Django's discovery."""
from .audit import AuditEvent
from .base import BaseModel
from .institutions import Institution, Membership
from .users import User

__all__ = ["AuditEvent", "BaseModel", "Institution", "Membership", "User"]
