"""Risk profiles: selectivity criteria written as data, evaluated over whole batches.

A profile (as in ASYCUDA selectivity and the WCO risk-profile template) names what it targets
— conditions over the declaration line's entry and line fields, with named lists of firms,
countries, HTS prefixes, bills of lading and MIDs — and what a hit does: force a lane or add a
score weight, with a finding category, a reason code and a plain-language reason. Each carries
an owner, a rationale, a validity window and a review date. Sets are versioned by content
hash and every change must be in the change log. Hit rates from exam outcomes tell whether a
profile earns its place.

Typical use::

    profiles = load_profile_set(Path("profiles/"))
    result = evaluate(profiles, declaration_lines(entries, lines), on=date.today())
    result.findings      # FINDINGS_SCHEMA rows, detector "rules"
    result.treatments    # forced lane / weights per line for targeting
    hit_rates(result.hits, outcomes, [p.id for p in profiles.profiles])
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from tradeguard.rules._compile import compile_condition, compile_profile, referenced_fields
from tradeguard.rules._evaluate import (
    DETECTOR,
    HITS_SCHEMA,
    TREATMENT_SCHEMA,
    RuleEvaluation,
    evaluate,
    statuses_on,
)
from tradeguard.rules._fields import DECLARED_FIELDS, FieldSpec
from tradeguard.rules._hit_rate import HIT_RATE_SCHEMA, hit_rates, wilson_interval
from tradeguard.rules._lines import FieldValueError, conform_lines, declaration_lines
from tradeguard.rules._loader import (
    ProfileIssue,
    ProfileLoadError,
    check_profiles,
    load_profile_set,
    profile_set_from_yaml,
)
from tradeguard.rules._model import (
    Condition,
    Group,
    Leaf,
    NamedList,
    Profile,
    ProfileSet,
    ProfileStatus,
    Treatment,
    profile_status,
)
from tradeguard.rules._versioning import (
    CHANGE_LOG_NAME,
    ProfileChange,
    change_log_issues,
    content_hash,
    read_change_log,
    record_changes,
)


def shipped_profiles_dir() -> Path:
    """The example profiles that come with the package."""
    return Path(str(files("tradeguard.rules") / "profiles"))


__all__ = [
    "CHANGE_LOG_NAME",
    "DECLARED_FIELDS",
    "DETECTOR",
    "HITS_SCHEMA",
    "HIT_RATE_SCHEMA",
    "TREATMENT_SCHEMA",
    "Condition",
    "FieldSpec",
    "FieldValueError",
    "Group",
    "Leaf",
    "NamedList",
    "Profile",
    "ProfileChange",
    "ProfileIssue",
    "ProfileLoadError",
    "ProfileSet",
    "ProfileStatus",
    "RuleEvaluation",
    "Treatment",
    "change_log_issues",
    "check_profiles",
    "compile_condition",
    "compile_profile",
    "conform_lines",
    "content_hash",
    "declaration_lines",
    "evaluate",
    "hit_rates",
    "load_profile_set",
    "profile_set_from_yaml",
    "profile_status",
    "read_change_log",
    "record_changes",
    "referenced_fields",
    "shipped_profiles_dir",
    "statuses_on",
    "wilson_interval",
]
