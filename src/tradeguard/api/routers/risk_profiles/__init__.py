"""Risk profiles in the service: the published set, proposals checked and back-tested on the
stored history, and publication in two steps — an editor proposes, another person approves.

Where to look:

- :mod:`.published` — the set the service scores with and the scorer that follows it;
- :mod:`.access` — who may read, propose and approve;
- :mod:`.proposals` — a proposed change, checked by the profile loader in a staging folder;
- :mod:`.backtest` — a set run over the stored lines, hit rates from stored exam outcomes;
- :mod:`.ledger` — pending and decided publications beside the published set;
- :mod:`.publication` — propose, approve (never one's own), reject;
- :mod:`.views` and :mod:`.schemas` — what the API and the page show;
- :mod:`.routes` — the HTTP routes.
"""

from __future__ import annotations

from tradeguard.api.routers.risk_profiles.access import (
    APPROVE_PERMISSION,
    PROPOSE_PERMISSION,
    RESOURCE,
    VIEW_PERMISSIONS,
    check_view,
    may_approve,
    may_publish,
)
from tradeguard.api.routers.risk_profiles.backtest import (
    BackTest,
    back_test,
    back_test_rows,
    hits_of,
    stored_hit_rates,
)
from tradeguard.api.routers.risk_profiles.ledger import (
    LEDGER_NAME,
    Ledger,
    Publication,
    PublicationState,
    read_ledger,
)
from tradeguard.api.routers.risk_profiles.proposals import (
    FILE_PATTERN,
    Checked,
    Proposal,
    check_files,
    check_proposal,
)
from tradeguard.api.routers.risk_profiles.publication import approve, publish, reject
from tradeguard.api.routers.risk_profiles.published import (
    RECHECK_SECONDS,
    ActiveProfiles,
    PublishedProfilesScorer,
    active_profiles,
    follow_published,
    profiles_folder,
    scoring_version,
)
from tradeguard.api.routers.risk_profiles.routes import router
from tradeguard.api.routers.risk_profiles.schemas import PUBLICATION_ID
from tradeguard.api.routers.risk_profiles.views import (
    STATUS_WORDS,
    change_row,
    check_rows,
    overview,
    profile_row,
    publication_row,
)

__all__ = [
    "APPROVE_PERMISSION",
    "FILE_PATTERN",
    "LEDGER_NAME",
    "PROPOSE_PERMISSION",
    "PUBLICATION_ID",
    "RECHECK_SECONDS",
    "RESOURCE",
    "STATUS_WORDS",
    "VIEW_PERMISSIONS",
    "ActiveProfiles",
    "BackTest",
    "Checked",
    "Ledger",
    "Proposal",
    "Publication",
    "PublicationState",
    "PublishedProfilesScorer",
    "active_profiles",
    "approve",
    "back_test",
    "back_test_rows",
    "change_row",
    "check_files",
    "check_proposal",
    "check_rows",
    "check_view",
    "follow_published",
    "hits_of",
    "may_approve",
    "may_publish",
    "overview",
    "profile_row",
    "profiles_folder",
    "publication_row",
    "publish",
    "read_ledger",
    "reject",
    "router",
    "scoring_version",
    "stored_hit_rates",
]
