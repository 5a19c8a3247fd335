"""The decisions area's tables on the application's one ``MetaData`` (see ``store/tables.py``).

The transparency log, the review/notice/appeal workflow and the access log each define their
tables with a function so tests can use private prefixes; these are the production names the
migration chain creates.
"""

from __future__ import annotations

from tradeguard.decisions.log_store import define_log_tables
from tradeguard.decisions.workflow_store import define_workflow_tables
from tradeguard.security.access_log import define_access_table
from tradeguard.store.tables import metadata

LOG_TABLES = define_log_tables(metadata)
WORKFLOW_TABLES = define_workflow_tables(metadata)
ACCESS_LOG_TABLE = define_access_table(metadata, "access_log")
