"""A request frame's column types as a plain dict, read without building a Polars schema.

``DataFrame.schema`` checks every column's type in Python (~25 us for a declaration frame of
40 columns); the request paths only look a few types up, so they read the names and types
(two calls, ~8 us) and zip them, once per frame (:mod:`tradeguard.frame_reads`: the
detectors of one request all look at the same frame). The types are the schema's objects.
"""

from __future__ import annotations

from tradeguard.frame_reads import column_types

__all__ = ["column_types"]
