"""Decisions workflow benchmark: queueing, the officer's queue, actions with notices, appeals.

Targets (2-core reference machine): queueing a day's scored lines for a port (10,000) in
under 5 s including the signed log and sealed explanations; the queue for a port loads in
under 0.5 s from 10,000 queued lines; an adverse action with its notice (log appends, receipts,
completeness check) under 0.2 s; rendering a notice as PDF under 0.2 s.

    .venv/bin/python bench/bench_decisions.py                   # SQLite file, 10,000 lines
    .venv/bin/python bench/bench_decisions.py --lines 2000 --db sqlite://
    .venv/bin/python bench/bench_decisions.py --write bench/results/decisions.md
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tradeguard.decisions import SqlLogStore, TransparencyLog
from tradeguard.decisions.appeals import assign_reviewer, decide_appeal, file_appeal
from tradeguard.decisions.checkpoint import derive_development_signer
from tradeguard.decisions.notices import act_and_notify, render_html, render_pdf
from tradeguard.decisions.review import ReviewAction, Workflow, enqueue, review_queue
from tradeguard.decisions.training import record_training
from tradeguard.decisions.workflow_store import SqlWorkflowStore
from tradeguard.security import FieldCipher, Principal, Role, generate_data_key
from tradeguard.targeting import Assessment

TARGETS = {"enqueue_s": 5.0, "queue_s": 0.5, "act_notify_s": 0.2, "pdf_s": 0.2}


def _lines(n: int) -> list[Assessment]:
    ports = ("2704", "1001", "5301", "3901")
    return [
        Assessment(
            entry_number=f"BEN-{i // 3:07d}-0", line_number=i % 3 + 1,
            port_of_entry=ports[i % 4], entry_date=date(2026, 3, 1) - timedelta(days=i % 7),
            risk_score=((i * 7919) % 10007) / 10007, lane=("green", "yellow", "red")[i % 3],
            selection="risk", selection_probability=1.0, categories=("valuation", "origin"),
            reasons=("VAL_LOW_UNIT_VALUE", "ORIGIN_TRANSSHIP"),
            reason_texts=("Declared unit value is low", "Routing suggests transshipment"),
            findings=(), model_probability=0.5, model_version="bench@1", rules_version="r@1",
            targeting_version="t@1", input_digest=hashlib.sha256(str(i).encode()).hexdigest(),
        )
        for i in range(n)
    ]


def run(n: int, url: str) -> dict[str, float]:
    engine = sa.create_engine(url)
    md = sa.MetaData()
    signer = derive_development_signer("bench", "bench.tradeguard/log")
    prefix = f"bench_decisions_{uuid.uuid4().hex[:8]}"  # own tables, dropped at the end
    log = TransparencyLog(SqlLogStore(engine, md, prefix=f"{prefix}_log"), signer)
    wf = Workflow(SqlWorkflowStore(engine, md, prefix=prefix), log,
                  FieldCipher([generate_data_key()]), lambda: datetime.now(UTC))
    admin = Principal("admin", frozenset({Role.ADMIN}))
    officer = Principal("officer-1", frozenset({Role.OFFICER}))
    sup = Principal("super-1", frozenset({Role.SUPERVISOR}))
    sup2 = Principal("super-2", frozenset({Role.SUPERVISOR}))
    importer = Principal("imp", frozenset({Role.IMPORTER}), "IMP-A")
    for p in (officer, sup, sup2):
        record_training(wf.store, admin, p.subject_id, date.today())
    lines = _lines(n)
    t = time.perf_counter()
    enqueue(wf, officer, lines, {a.entry_number: "IMP-A" for a in lines})
    out = {"enqueue_s": time.perf_counter() - t}
    times = []
    for _ in range(5):
        t = time.perf_counter()
        queue = review_queue(wf, officer, port="2704")
        times.append(time.perf_counter() - t)
    out["queue_s"], out["queue_rows"] = statistics.median(times), float(len(queue))
    acts, pdfs, htmls, appeals = [], [], [], []
    for item in queue[:20]:
        t = time.perf_counter()
        _, notice = act_and_notify(wf, officer, item.item_id, ReviewAction.EXAM, "bench")
        acts.append(time.perf_counter() - t)
        assert notice is not None
        t = time.perf_counter()
        render_pdf(notice.content)
        pdfs.append(time.perf_counter() - t)
        t = time.perf_counter()
        render_html(notice.content)
        htmls.append(time.perf_counter() - t)
        t = time.perf_counter()
        appeal = file_appeal(wf, importer, notice.notice_id, "bench grounds")
        assign_reviewer(wf, sup, appeal.appeal_id, sup2)
        decide_appeal(wf, sup2, appeal.appeal_id, "upheld", "bench reasons")
        appeals.append(time.perf_counter() - t)
    out |= {"act_notify_s": statistics.median(acts), "pdf_s": statistics.median(pdfs),
            "html_s": statistics.median(htmls), "appeal_flow_s": statistics.median(appeals)}
    md.drop_all(engine)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temp SQLite file)")
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        result = run(args.lines, url)
    rows = [f"| {k} | {v:.4f} | {TARGETS.get(k, '')} |" for k, v in result.items()]
    report = "\n".join([
        "# Decisions workflow benchmark", "",
        f"Command: `.venv/bin/python bench/bench_decisions.py --lines {args.lines}"
        + (f" --db {args.db}" if args.db else "") + "`",
        f"Machine: {platform.machine()}, 2 cores, 24 GiB; Python {platform.python_version()}; "
        f"{'SQLite file' if args.db is None else args.db.split(':')[0]}.", "",
        "| measure | value | target (s) |", "|---|---|---|", *rows, "",
    ])
    print(report)
    if args.write:
        args.write.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
