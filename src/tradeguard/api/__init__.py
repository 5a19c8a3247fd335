"""The REST API: thin FastAPI routers over the library, built by :func:`create_app`.

Every endpoint authenticates (bearer token or API key), checks the caller with the
library's own :func:`tradeguard.security.require` (through the decisions workflow, which
also records the attempt), reads tenant-scoped data with
:func:`tradeguard.security.restrict_select`, and answers errors as RFC 9457 problem details.
"""

from tradeguard.api.app import create_app, services_of
from tradeguard.api.config import ApiConfig

__all__ = ["ApiConfig", "create_app", "services_of"]
