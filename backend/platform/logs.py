"""Logging context (minimal; H2 extends this module with structured JSON logs).

`request_id` follows a write into the jobs it causes: the request sets it, the outbox row stores
it, the relay passes it in the RQ job's meta, and the job wrapper sets it while the job runs.
"""
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("spiral_request_id", default=None)
