"""The request path: how a scoring request's few lines are handled without a query per step.

A scoring service sends one entry (1-5 lines) per call. A Polars query costs ~100 us of fixed
work whatever its size, and the chain would run hundreds of them per entry; so each step also
has a plain-Python path for request-sized batches, fed by lookups cut once per fit. Each such
path gives exactly what the step's general (vectorised) path gives on the same input, or
declines (returns None) and leaves the input to it: tests run both paths on every entry of a
demo set and compare. Batches above :data:`REQUEST_LINES` always take the general path.
"""

#: Batches with at most this many lines may take a step's request path.
REQUEST_LINES = 64
