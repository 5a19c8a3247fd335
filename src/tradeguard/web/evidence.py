"""Evidence packs for a case lead: the member lines as CSV, or one self-contained HTML page.

The HTML page carries its own styles and nothing else (no scripts, no outside links), so it
can be attached to a case file and opened on a machine without network access.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from tradeguard.detectors.adcvd.detector import INDICATOR_TEXT
from tradeguard.detectors.adcvd.leads import Lead
from tradeguard.web.render import environment

#: Served with the HTML pack: inline styles only, nothing fetched, nothing run.
PACK_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def timeline(lead: Lead) -> list[tuple[str, str]]:
    """(date, what happened) in date order: first and last entry, each indicator's first day."""
    events = [(d, f"{INDICATOR_TEXT.get(code, code)} ({code})")
              for code, d in lead.timeline.items()]
    if lead.first_entry_date:
        events.append((lead.first_entry_date.isoformat(), "first entry of the lead"))
    if lead.last_entry_date:
        events.append((lead.last_entry_date.isoformat(), "last entry of the lead"))
    return sorted(events)


def evidence_csv(lead: Lead, members: pl.DataFrame, versions: dict[str, str]) -> str:
    """One row per member line, each carrying the lead's id, order, exposure and versions."""
    stamp = [pl.lit(lead.lead_id).alias("lead_id"), pl.lit(lead.rank).alias("lead_rank"),
             pl.lit(lead.case_number).alias("case_number_of_lead"),
             pl.lit(lead.exposure_usd).alias("lead_exposure_usd"),
             pl.lit(lead.rate_assumed).alias("rate_assumed"),
             pl.lit(json.dumps(lead.reason_codes, sort_keys=True)).alias("reason_codes"),
             pl.lit(json.dumps(versions, sort_keys=True)).alias("versions")]
    return members.select(stamp + [pl.col(c) for c in members.columns]).write_csv()


def evidence_html(lead: Lead, members: pl.DataFrame, versions: dict[str, str]) -> str:
    """The lead, its timeline, reasons and member lines on one printable page."""
    return environment().get_template("evidence_pack.html").render(
        lead=lead, members=members.to_dicts(), columns=members.columns,
        timeline=timeline(lead), versions=versions, indicator_text=INDICATOR_TEXT,
        made_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
