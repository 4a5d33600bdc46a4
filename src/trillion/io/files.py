"""The one bounded reader (and writer) for every file a user hands trillion.

Reading: the file is opened without blocking and must be a regular file (a FIFO, a device such
as ``/dev/zero`` or a socket is refused before a byte is read); its size is checked against a cap
before reading, and at most cap + 1 bytes are ever read (files whose size the kernel reports as 0,
as under ``/proc``). JSON and TOML are parsed with bounds on nesting depth and on the length of
every number literal (checked before any conversion, so a 5,000-digit integer or ``1e999999``
costs nothing), and JSON with a cap on the number of values; CSV rows are counted while they
stream, so a 13-million-row file is refused after the first row past the limit, not after
parsing them all. Every failure is one `InputError` naming the file.

Writing: atomic (a temporary file beside the target, then a rename), with any path error named.

JSON output: `dumps_strict` writes strict JSON (RFC 8259): a non-finite float becomes ``null``,
never ``NaN`` or ``Infinity``, and any non-ASCII character is escaped.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trillion.errors import InputError
from trillion.units import format_bytes

MAX_DEPTH = 64  # nesting levels in a JSON or TOML file (a Hugging Face config.json has 3-5)
MAX_LITERAL = 64  # characters in one number literal: 1e20 needs 21 digits; a float 17 + exponent
MAX_CONFIG_BYTES = 4 * 2**20  # a config.json is a few KiB; the largest seen (quantisation lists) ~100 KiB
MAX_TOML_BYTES = 2**20  # calibration files are under 2 KiB


def _where(path: str | Path, where: str | None) -> str:
    return where if where is not None else str(path)


def _printable(where: str) -> str:
    """`where` with characters no terminal can encode (lone surrogates) escaped."""
    return where.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe(e: OSError) -> str:
    return e.strerror or e.__class__.__name__


def open_bounded(path: str | Path, max_bytes: int, where: str | None = None) -> io.BufferedReader:
    """A binary file object for a regular file of at most `max_bytes` (checked before reading)."""
    w = _where(path, where)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise InputError(w, None, f"cannot read: {_describe(e)}") from None
    except ValueError:  # an embedded NUL, or a name that cannot be encoded (a lone surrogate)
        raise InputError(
            _printable(w), None, "not a usable path (a NUL or an unencodable character)"
        ) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(w, None, "is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(w, None, "is not a regular file (a FIFO, device or socket); refused unread")
        if st.st_size > max_bytes:
            raise InputError(
                w,
                None,
                f"{format_bytes(st.st_size)} is over the {format_bytes(max_bytes)} limit for this file",
            )
        return os.fdopen(fd, "rb")  # type: ignore[return-value]
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, max_bytes: int, where: str | None = None) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; never reads more than `max_bytes` + 1."""
    with open_bounded(path, max_bytes, where) as f:
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise InputError(_where(path, where), None, f"cannot read: {_describe(e)}") from None
    if len(data) > max_bytes:
        raise InputError(
            _where(path, where), None, f"is over the {format_bytes(max_bytes)} limit for this file"
        )
    return data


def read_text(path: str | Path, max_bytes: int, where: str | None = None) -> str:
    """UTF-8 text (a byte-order mark is dropped) of a regular file of at most `max_bytes`."""
    data = read_bytes(path, max_bytes, where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(_where(path, where), None, f"is not UTF-8 text (byte {e.start})") from None


class _LiteralTooLong(ValueError):
    pass


def _int_literal(text: str) -> int:
    if len(text) > MAX_LITERAL:
        raise _LiteralTooLong(text)
    return int(text)


def _float_literal(text: str) -> float:
    if len(text) > MAX_LITERAL:
        raise _LiteralTooLong(text)
    return float(text)


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON/TOML, iteratively (no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, d)
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, d)
            stack.extend((v, d + 1) for v in node)
    return deepest


def loads_json(
    text: str | bytes, where: str, *, max_values: int | None = None, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse JSON with bounded nesting, number literals and (optionally) number of values.

    `max_values` bounds commas plus opening brackets (an upper bound on the values, counted in C
    before parsing), so a 50 MiB file of ``{},{},...`` is refused instead of building 16 million
    dictionaries.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(where, None, f"is not UTF-8 text (byte {e.start})") from None
    if max_values is not None:
        values = text.count(",") + text.count("[") + text.count("{")
        if values > max_values:
            raise InputError(where, None, f"holds ~{values:,} JSON values, over the {max_values:,} limit")
    try:
        data = json.loads(text, parse_int=_int_literal, parse_float=_float_literal)
    except _LiteralTooLong as e:
        raise InputError(
            where, None, f"a number literal of {len(str(e)):,} characters (limit {MAX_LITERAL})"
        ) from None
    except json.JSONDecodeError as e:
        raise InputError(
            where, None, f"is not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}"
        ) from None
    except RecursionError:
        raise InputError(where, None, f"is nested too deeply (limit {max_depth} levels)") from None
    if _depth(data) > max_depth:
        raise InputError(where, None, f"is nested too deeply (limit {max_depth} levels)")
    return data


def loads_toml(text: str, where: str, *, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """Parse TOML with bounded nesting and number literals."""
    try:
        data = tomllib.loads(text, parse_float=_float_literal)
    except _LiteralTooLong as e:
        raise InputError(
            where, None, f"a number literal of {len(str(e)):,} characters (limit {MAX_LITERAL})"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(where, None, f"is not valid TOML: {e}") from None
    except RecursionError:
        raise InputError(where, None, f"is nested too deeply (limit {max_depth} levels)") from None
    except ValueError as e:  # an integer past Python's 4,300-digit conversion limit
        raise InputError(where, None, f"holds a number that cannot be read: {str(e)[:80]}") from None
    if _depth(data) > max_depth:
        raise InputError(where, None, f"is nested too deeply (limit {max_depth} levels)")
    return data


def read_json(
    path: str | Path, max_bytes: int, where: str | None = None, *, max_values: int | None = None
) -> Any:
    """A JSON file through the bounded reader and the bounded parser."""
    w = _where(path, where)
    return loads_json(read_bytes(path, max_bytes, w), w, max_values=max_values)


def read_toml(path: str | Path, max_bytes: int = MAX_TOML_BYTES, where: str | None = None) -> dict[str, Any]:
    """A TOML file through the bounded reader and the bounded parser."""
    w = _where(path, where)
    return loads_toml(read_text(path, max_bytes, w), w)


def iter_csv(
    path: str | Path, max_bytes: int, max_rows: int, where: str | None = None
) -> Iterator[dict[str, str]]:
    """CSV rows as dicts, streamed: refused at the first row past `max_rows`.

    The header is row 1; `InputError` names the file (and the line, for malformed CSV).
    """
    w = _where(path, where)
    with open_bounded(path, max_bytes, w) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        try:
            if reader.fieldnames is None:
                raise InputError(w, None, "empty file: expected a header row")
            for i, row in enumerate(reader):
                if i >= max_rows:
                    raise InputError(w, None, f"more than {max_rows:,} rows (the limit)")
                yield row
        except UnicodeDecodeError as e:
            raise InputError(w, None, f"is not UTF-8 text (byte {e.start})") from None
        except csv.Error as e:
            raise InputError(w, None, f"is not valid CSV (line {reader.line_num}): {e}") from None
        except OSError as e:
            raise InputError(w, None, f"cannot read: {_describe(e)}") from None


def check_writable(path: str | Path, where: str | None = None) -> Path:
    """Refuse, before any work, an output path that `write_file` could not write: a folder, a
    missing or non-folder parent, a read-only place, a name the OS cannot take."""
    w = _where(path, where)
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(w, None, f"{p} is a folder; give a file name")
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(w, None, f"cannot write {p}: {parent} is not a folder")
        if not os.access(parent, os.W_OK):
            raise InputError(w, None, f"cannot write {p}: {parent} is not writable")
        if len(p.name.encode()) > 255:
            raise InputError(w, None, f"cannot write {p}: the file name is too long")
    except ValueError:
        raise InputError(
            _printable(w), None, "not a usable path (a NUL or an unencodable character)"
        ) from None
    except OSError as e:
        raise InputError(w, None, f"cannot write {p}: {_describe(e)}") from None
    return p


def write_file(path: str | Path, data: str | bytes, where: str | None = None) -> Path:
    """Write text (UTF-8) or bytes atomically: a temporary file beside the target, fsync, rename.
    A folder, a missing parent or a read-only place is one `InputError` naming `where`."""
    w = _where(path, where)
    p = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if p.is_dir():
            raise InputError(w, None, f"{p} is a folder; give a file name")
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name[:40]}.", suffix=".tmp", dir=str(p.parent))
    except OSError as e:
        raise InputError(w, None, f"cannot write {p}: {_describe(e)}") from None
    except ValueError:
        raise InputError(
            _printable(w), None, "not a usable path (a NUL or an unencodable character)"
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(w, None, f"cannot write {p}: {_describe(e)}") from None
    return p


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if hasattr(x, "item") and hasattr(x, "dtype"):  # a numpy scalar
        return _finite(x.item())
    return x


def dumps_strict(payload: Any, indent: int | None = None) -> str:
    """Strict JSON: non-finite floats become null; non-ASCII escaped (so any string encodes)."""
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(
        _finite(payload), allow_nan=False, ensure_ascii=True, indent=indent, separators=separators
    )
