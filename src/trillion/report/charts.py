"""Shared chart plumbing: one lock around matplotlib rendering (its text layout is not thread-safe,
and the web server computes plans in worker threads)."""

import threading

CHART_LOCK = threading.Lock()
