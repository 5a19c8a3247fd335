"""The officer's entry page: stored reasons carry role labels, the page shows the names."""

from __future__ import annotations

import html
import re

import polars as pl
from fastapi.testclient import TestClient

from tradeguard.api import services_of
from tradeguard.api.demo_site import DemoSite
from tradeguard.api.records import entry_detail
from tradeguard.security.redaction import CONFIDENTIAL_FIELDS, declared_parties


def test_reasons_name_the_declared_parties_on_the_officers_page(
        demo_site: DemoSite, demo_client: TestClient) -> None:
    engine = services_of(demo_client.app).engine
    numbers = pl.read_csv(demo_site.directory / "data" / "entries.csv",
                          infer_schema=False)["entry_number"].to_list()
    labels = set(CONFIDENTIAL_FIELDS.values())
    found = None
    for number in numbers:
        detail = entry_detail(engine, number)
        scored = {a["line_number"]: a for a in detail["assessments"]}
        for line in detail["lines"]:
            parties = declared_parties(detail["entry"], line, *detail["supply_chain"])
            texts = scored.get(line["line_number"], {}).get("reason_texts") or []
            hit = [lb for lb in labels if lb in parties and any(lb in t for t in texts[:4])]
            if hit:
                found = number, hit[0], parties[hit[0]]
                break
        if found:
            break
    assert found is not None, "no stored reason quotes a declared party"
    number, label, name = found
    page = TestClient(demo_client.app)
    r = page.post("/login", data={"username": "officer", "password": "pw-officer-2026"},
                  follow_redirects=False)
    assert r.status_code == 303
    text = page.get(f"/entries/{number}").text
    reasons = html.unescape(" ".join(re.findall(r'<ol class="reasons">(.*?)</ol>', text, re.S)))
    assert name in reasons and label not in reasons
