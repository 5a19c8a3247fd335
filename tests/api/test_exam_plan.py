"""The exam plan over HTTP: the library's plan for the officer's queue, within capacity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from fastapi.testclient import TestClient


def _busiest_red_port_day(client: TestClient, headers: dict[str, str]) -> tuple[str, str, int]:
    items = client.get("/api/v1/review/queue?lane=red&status=all&limit=500",
                       headers=headers).json()["items"]
    counts = Counter((i["port_of_entry"], i["entry_date"]) for i in items)
    (port, day), n = counts.most_common(1)[0]
    return port, day, n


def test_plan_keeps_lines_beyond_capacity(demo_client: TestClient,
                                          as_user: Callable[[str], dict[str, str]]) -> None:
    officer = as_user("officer")
    port, day, reds = _busiest_red_port_day(demo_client, officer)
    full = demo_client.get(f"/api/v1/review/exam-plan?port={port}&day={day}", headers=officer)
    assert full.status_code == 200, full.text
    plan = full.json()
    assert len(plan["exams"]) == reds and plan["beyond_capacity"] == []
    scores = [e["risk_score"] for e in plan["exams"] if e["selection"] != "forced"]
    assert scores == sorted(scores, reverse=True)
    assert [e["priority"] for e in plan["exams"]] == list(range(1, reds + 1))

    capped = demo_client.get(f"/api/v1/review/exam-plan?port={port}&day={day}&capacity=0",
                             headers=officer).json()
    assert capped["exams"] == []
    assert [b["entry_number"] for b in capped["beyond_capacity"]] == \
        [e["entry_number"] for e in plan["exams"]]


def test_plan_is_for_officers_and_checks_input(demo_client: TestClient,
                                               as_user: Callable[[str], dict[str, str]]) -> None:
    for user in ("analyst", "auditor", "importer_a", "admin"):
        r = demo_client.get("/api/v1/review/exam-plan?port=2704&day=2025-01-02",
                            headers=as_user(user))
        assert r.status_code == 403, user
    bad = demo_client.get("/api/v1/review/exam-plan?port=2704&day=2025-01-02&capacity=-1",
                          headers=as_user("officer"))
    assert bad.status_code == 422


def test_plan_page_is_linked_from_the_queue(demo_client: TestClient,
                                            as_user: Callable[[str], dict[str, str]]) -> None:
    officer = as_user("officer")
    port, day, reds = _busiest_red_port_day(demo_client, officer)
    token = officer["Authorization"].split()[1]
    demo_client.cookies.set("tg_session", token)
    try:
        queue = demo_client.get("/queue")
        assert 'id="exam-plan-link"' in queue.text
        assert demo_client.get("/exam-plan?port=&day=").status_code == 200
        page = demo_client.get(f"/exam-plan?port={port}&day={day}&capacity=1")
        assert page.status_code == 200
        assert page.text.count('class="tag warn"') + page.text.count("#line-") >= 1
        assert ("beyond capacity" in page.text) == (reds > 1)
    finally:
        demo_client.cookies.clear()
