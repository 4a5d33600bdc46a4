"""Shared chart plumbing: one lock around matplotlib rendering (its text layout is not thread-safe,
and the web server computes plans in worker threads), and figures made without pyplot's global
state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHART_LOCK = threading.Lock()


@contextmanager
def locked_figure(**kwargs: Any) -> Iterator[Any]:
    """A `matplotlib.figure.Figure` (keyword arguments as its constructor), drawn and saved while
    holding CHART_LOCK."""
    from matplotlib.figure import Figure

    with CHART_LOCK:
        yield Figure(**kwargs)


def inline_svg(fig: Any) -> str:
    """`fig` laid out and written as an inline ``<svg>`` element (no XML prolog)."""
    import io

    buf = io.StringIO()
    fig.tight_layout()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.index("<svg") :]
