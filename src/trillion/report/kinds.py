"""What a report figure is, in the same words in the terminal, JSON, HTML and web page.

A figure is a dict ``{"value", "unit", "source" or "note", "kind"}`` (`trillion.report.build`);
its ``kind`` is a key of `KIND_LABEL`. A figure without one (older callers) is "published" when
it names a source, else an "estimate".
"""

from __future__ import annotations

from typing import Any

KIND_LABEL = {
    "published": "published",  # the developer's or a paper's figure, with its source
    "exact": "exact count",  # counted by trillion from a published architecture: not an estimate
    "estimate": "estimate",  # trillion's model of what was not published
    "rumour": "rumour",  # reported second-hand, not by the developer
    "given": "given",  # what the user typed (a flag or a web field)
    "default": "trillion's choice",  # a default where nothing is published
}


def kind_key(fig: dict[str, Any] | None) -> str:
    """The `KIND_LABEL` key of `fig`."""
    fig = fig or {}
    found = fig.get("kind") or ("published" if fig.get("source") else "estimate")
    return found if found in KIND_LABEL else "estimate"


def kind_of(fig: dict[str, Any] | None) -> str:
    """The words of `fig`'s kind, for every renderer."""
    return KIND_LABEL[kind_key(fig)]
