"""Case leads: grouping by manufacturer cluster and order, stable ids, exposure ranking."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl

from tradeguard.detectors.adcvd.config import AdcvdConfig
from tradeguard.detectors.adcvd.detector import AdcvdDetector
from tradeguard.detectors.adcvd.leads import (
    LEADS_SCHEMA,
    build_leads,
    lead_id,
    leads_frame,
    manufacturer_clusters,
)
from tradeguard.detectors.adcvd.parties import with_party_keys

ALU = {"hts_code": "7604210000", "quantity": 100.0}


def _cn(entry, mid, value, **kw):
    return {"entry_number": entry, "manufacturer_id": mid, "manufacturer_name": f"{mid} Co",
            "country_of_origin": "CN", "manufacturer_country": "CN", "seller_country": "CN",
            "entry_type": "03", "entered_value_usd": value, **ALU, **kw}


def _run(kit, ctx, rows, history=None, cfg=None):
    det = AdcvdDetector(cfg)
    if history is not None:
        det.fit(history, ctx)
    built = [kit.line(r["entry_number"], **{k: v for k, v in r.items() if k != "entry_number"})
             for r in rows]
    result = det.assess(kit.frame(built), ctx)
    return build_leads(result, det.findings(result), det.config)


def test_clusters_follow_shared_mid_or_name():
    lines = pl.DataFrame({
        "entry_number": ["A", "B", "C", "D"], "line_number": [1, 1, 1, 1],
        "manufacturer_id": ["M1", "M2", "M2", "M9"],
        "manufacturer_name": ["Hua Feng Co., Ltd.", "HUA FENG COMPANY LIMITED", "Other",
                              "Far Away Ltd"],
        "manufacturer_country": ["VN"] * 4, "country_of_origin": ["VN"] * 4})
    got = manufacturer_clusters(with_party_keys(lines))
    cluster = dict(zip(got["entry_number"], got["cluster"], strict=True))
    assert cluster["A"] == cluster["B"] == cluster["C"] != cluster["D"]


def test_subject_leads_rank_by_exposure_with_known_rate(kit, ctx):
    rows = [_cn("E1", "CNSMALL1", 1000.0, adcvd_case_number="A-570-967"),
            _cn("E2", "CNBIG1", 9000.0, adcvd_case_number="A-570-967"),
            _cn("E3", "CNBIG1", 1000.0, adcvd_case_number="A-570-967")]
    leads = _run(kit, ctx, rows)
    assert [len(x.members) for x in leads] == [2, 1]
    assert [x.exposure_usd for x in leads] == [3000.0, 300.0]  # 30 % of value, none deposited
    assert [x.rank for x in leads] == [1, 2]
    assert not any(x.rate_assumed for x in leads)
    assert leads[0].reason_codes == {"ADCVD_DEPOSIT_SHORT": 2}


def test_unknown_rate_uses_configured_default_and_says_so(kit, ctx):
    rows = [_cn("E1", "CNX1", 1000.0, adcvd_case_number="C-570-968", adcvd_deposit_usd=0.0)]
    (lead,) = _run(kit, ctx, rows, cfg=AdcvdConfig(default_deposit_rate=0.25))
    assert lead.rate_assumed and lead.exposure_usd == 250.0


def test_scheme_entries_of_several_importers_form_one_lead(kit, ctx):
    start = date(2025, 1, 5)
    history = kit.frame(kit.monthly(start, 12, 1, **(ALU | {
        "manufacturer_id": "VNOLD1HAN", "importer_id": "IMP-A", "entered_value_usd": 500.0})))
    new = {"manufacturer_id": "CNNEW9NIN", "manufacturer_name": "New Star",
           "seller_country": "CN", "country_of_origin": "VN", "entered_value_usd": 400.0}
    rows = [{"entry_number": f"S{k}", "entry_date": date(2026, 3, 2) + timedelta(days=k),
             "importer_id": f"IMP-{k % 3}", **ALU, **new} for k in range(6)]
    leads = _run(kit, ctx, rows, history=history)
    (lead,) = [x for x in leads if x.kind == "evasion"]
    assert {e for e, _ in lead.members} == {f"S{k}" for k in range(6)}
    assert len(lead.importers) == 3 and lead.case_number == "A-570-967"
    assert lead.first_entry_date == date(2026, 3, 2)
    assert "ADCVD_EVASION_MID_SUBJECT" in lead.timeline
    assert lead.exposure_usd == round(0.3 * 2400.0, 2)  # AD rate known, CVD rate unknown
    again = _run(kit, ctx, list(reversed(rows)), history=history)
    assert lead.lead_id in {x.lead_id for x in again}


def test_lead_id_is_order_independent_and_member_sensitive():
    a = lead_id("A-570-967", [("E1", 1), ("E2", 1)])
    assert a == lead_id("A-570-967", [("E2", 1), ("E1", 1)])
    assert a != lead_id("A-570-967", [("E1", 1)])
    assert a != lead_id("A-570-051", [("E1", 1), ("E2", 1)])


def test_leads_frame_and_json(kit, ctx):
    rows = [_cn("E1", "CNX1", 1000.0, adcvd_case_number="A-570-967")]
    leads = _run(kit, ctx, rows)
    frame = leads_frame(leads)
    assert dict(frame.schema) == LEADS_SCHEMA and frame.height == 1
    payload = json.loads(json.dumps([x.to_json() for x in leads]))
    assert payload[0]["members"] == [["E1", 1]]
    assert leads_frame([]).height == 0


def test_cli_rejects_half_a_history(tmp_path):
    from typer.testing import CliRunner

    from tradeguard.cli import build_app

    f = tmp_path / "x.csv"
    f.write_text("entry_number\n", "utf-8")
    got = CliRunner().invoke(build_app(), ["leads", "adcvd", "--entries", str(f), "--lines",
                                           str(f), "--history-entries", str(f)])
    assert got.exit_code == 2


def test_cli_leads_from_demo_files_use_the_supply_chain(tmp_path):
    from typer.testing import CliRunner

    from tradeguard.cli import build_app
    from tradeguard.demo import generate_demo_data

    demo = tmp_path / "demo"
    generate_demo_data(demo, entries=1000, seed=1)
    args = ["leads", "adcvd", "--entries", str(demo / "entries.csv"),
            "--lines", str(demo / "lines.csv"),
            "--history-entries", str(demo / "history_entries.csv"),
            "--history-lines", str(demo / "history_lines.csv"),
            "--supply-chain", str(demo / "supply_chain.csv"),
            "--out", str(tmp_path / "leads.json"), "--json"]
    got = CliRunner().invoke(build_app(), args)
    assert got.exit_code == 0, got.output
    leads = json.loads((tmp_path / "leads.json").read_text())
    assert leads, "the planted evasion schemes must surface as leads"
    exposure = [lead["exposure_usd"] for lead in leads]
    assert exposure == sorted(exposure, reverse=True)
