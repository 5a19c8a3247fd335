"""The score answer's records and the body limit's header reading: the same as before.

The scored frame becomes records without a value object per line; these tests hold them to
the value objects' own records on every demo entry and on odd rows. ``BodyLimit`` reads only
the two headers it needs; the test holds it to the same answers for odd header cases.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from datetime import date
from typing import Any

import polars as pl
import pytest
from starlette.middleware import Middleware

from tradeguard.api.problems import BodyLimit
from tradeguard.targeting import Assessment, assessments_to_records


@pytest.fixture(scope="module")
def frames(demo_results: list[Any]) -> list[pl.DataFrame]:
    """The assessment frame of every demo entry the contract accepts (scored in-process)."""
    return [result.assessments for _, result in demo_results]


def _by_value_objects(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [Assessment.from_row(r).to_record() for r in frame.iter_rows(named=True)]


def test_records_equal_the_value_objects_records(frames: list[pl.DataFrame]) -> None:
    for frame in frames:
        ours = assessments_to_records(frame)
        assert ours == _by_value_objects(frame)
        assert json.dumps(ours) == json.dumps(_by_value_objects(frame))
    many = pl.concat(frames * (600 // sum(f.height for f in frames) + 1))
    assert many.height > 512
    assert assessments_to_records(many) == _by_value_objects(many)


def test_records_equal_on_edge_rows(frames: list[pl.DataFrame]) -> None:
    """Findings with evidence, missing dates and probabilities, odd version maps, and a frame
    without the optional columns."""
    base = next(f for f in frames if f.height)
    finding = {"category": "valuation", "reason_code": "VAL_LOW", "severity": "high",
               "text": "Zürich — 100 % ✓", "evidence": json.dumps({"b": [1, 2.5], "a": None}),
               "detector": "d", "detector_version": "1"}
    odd = base.head(1).with_columns(
        pl.lit(json.dumps([finding, {**finding, "evidence": None, "detector": None}]))
        .alias("findings"),
        pl.lit(None, dtype=pl.Date).alias("entry_date"),
        pl.lit(None, dtype=pl.Float64).alias("model_probability"),
        pl.lit(json.dumps({"x": 1, "y": "2"})).alias("list_versions"),
        pl.lit(None, dtype=pl.String).alias("refdata_versions"),
        pl.lit("").alias("detector_versions"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("categories"),
    )
    dated = odd.with_columns(pl.lit(date(2026, 1, 2)).alias("entry_date"))
    for frame in (odd, dated, pl.concat([odd, base]), base.drop(
            "forced_by", "sample_draw", "list_versions", "findings", "port_of_entry")):
        assert assessments_to_records(frame) == _by_value_objects(frame)
    numbers = assessments_to_records(odd)[0]["versions"]
    numbers["list:x"] = 5  # a caller's change stays in its own record
    assert assessments_to_records(odd)[0]["versions"]["list:x"] == 1


def _limit_app() -> Any:
    async def echo(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})

    return echo


def test_body_limit_reads_the_headers_as_before() -> None:
    """Header names in any case; of repeated headers, the last one counts."""
    from starlette.applications import Starlette

    app = Starlette(middleware=[Middleware(BodyLimit, body_limit=10, upload_limit=100)])
    app.mount("/", _limit_app())

    async def call(headers: list[tuple[bytes, bytes]], body: bytes) -> int:
        scope = {"type": "http", "method": "POST", "path": "/", "headers": headers,
                 "query_string": b"", "root_path": "", "scheme": "http",
                 "server": ("t", 80), "client": ("c", 1), "http_version": "1.1",
                 "asgi": {"version": "3.0"}}
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    import asyncio

    upload = b"multipart/form-data; boundary=x"
    cases = [
        ([(b"Content-Length", b"50")], b"x" * 5, 413),
        ([(b"content-length", b"50"), (b"content-length", b"5")], b"x" * 5, 200),
        ([(b"content-length", b"5"), (b"CONTENT-LENGTH", b"50")], b"x" * 5, 413),
        ([(b"Content-Type", upload), (b"content-length", b"50")], b"x" * 50, 200),
        ([(b"content-type", upload), (b"content-type", b"text/plain")], b"x" * 50, 413),
        ([(b"content-length", b"abc")], b"x" * 5, 200),
        ([], b"x" * 50, 413),
    ]
    for headers, body, expected in cases:
        assert asyncio.run(call(headers, body)) == expected, headers
