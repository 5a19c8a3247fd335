"""Roles, tenancy, encryption at rest, vendor egress and the access record.

Checks live in the library so every interface (CLI, API, web) inherits them: :func:`require`
for permissions, :mod:`tenancy` filters for importer isolation, :class:`FieldCipher` for
confidential fields, :func:`export_for_vendor` for anything leaving the agency.
"""

from tradeguard.security.access_log import AccessEvent, MemoryAccessLog, SqlAccessLog, checked
from tradeguard.security.crypto import DataKeyError, FieldCipher, generate_data_key
from tradeguard.security.roles import (
    ROLE_PERMISSIONS,
    AccessDenied,
    Permission,
    Principal,
    Resource,
    Role,
    allowed,
    require,
)
from tradeguard.security.tenancy import restrict_frame, restrict_select, tenant_clause, tenant_expr
from tradeguard.security.vendor_export import (
    EgressRefused,
    VendorExport,
    VendorPolicy,
    derive_vendor_key,
    export_for_vendor,
)

__all__ = [
    "ROLE_PERMISSIONS",
    "AccessDenied",
    "AccessEvent",
    "DataKeyError",
    "EgressRefused",
    "FieldCipher",
    "MemoryAccessLog",
    "Permission",
    "Principal",
    "Resource",
    "Role",
    "SqlAccessLog",
    "VendorExport",
    "VendorPolicy",
    "allowed",
    "checked",
    "derive_vendor_key",
    "export_for_vendor",
    "generate_data_key",
    "require",
    "restrict_frame",
    "restrict_select",
    "tenant_clause",
    "tenant_expr",
]
