"""The error tree.

`TrillionError` is the root. Errors caused by what a user gave us (a file, a flag, a catalog name)
subclass `ValueError` as well, so callers may catch either; the CLI turns them into one line and
exit code 2. Internal invariants use `assert`, never these classes.
"""

from __future__ import annotations


class TrillionError(Exception):
    """Root of every error trillion raises on purpose."""


class InputError(TrillionError, ValueError):
    """Bad user input: the message names the input (file, flag) and the field.

    `where` is the input (a path, `--flag`, `catalog:name`), `field` the key inside it; the string
    form is the one line the CLI prints: ``config.json: num_attention_heads: must be > 0, got 0``.
    """

    def __init__(self, where: str, field: str | None, message: str):
        self.where = where
        self.field = field
        self.message = message
        text = f"{where}: {field}: {message}" if field else f"{where}: {message}"
        super().__init__(text)


class UnknownModelError(InputError):
    """A model name that is neither in the catalog nor a path to a config.json."""
