"""Training data for the ladder: a real text corpus that exists offline, a local tokenizer, a
deterministic train/validation split and memory-mapped token files.

Default corpus: the Python standard library's own source files (text that ships with every Python
installation), read in sorted order up to a byte budget. Or a folder of the user's text files.
Tokenizers: byte-level (256 bytes + end-of-text; no training) or a byte-level BPE trained locally
with HF `tokenizers`. The split assigns whole files to validation by a hash of their path, so it
does not change when files are added elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trillion.errors import InputError

TEXT_SUFFIXES = (".txt", ".md", ".rst", ".py", ".tex", ".html", ".json", ".csv")
EOT = 256  # byte tokenizer's end-of-text id
TOKEN_BYTES = 2  # token files hold uint16 ids


def default_corpus() -> Path:
    """The standard library directory of the running Python."""
    return Path(sysconfig.get_paths()["stdlib"])


def corpus_files(folder: str | Path | None, max_bytes: int) -> list[Path]:
    """Text files under `folder` (default: the standard library, excluding site-packages), sorted,
    up to `max_bytes` in total; `InputError` when there are none."""
    root = Path(folder) if folder else default_corpus()
    where = "corpus" if folder else "stdlib corpus"
    if not root.is_dir():
        raise InputError(where, None, f"{root} is not a folder")
    suffixes = (".py",) if folder is None else TEXT_SUFFIXES
    files, total = [], 0
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() not in suffixes or not p.is_file() or "site-packages" in p.parts:
            continue
        try:
            size = p.stat().st_size
        except OSError:
            continue
        if size == 0:
            continue
        files.append(p)
        total += size
        if total >= max_bytes:
            break
    if not files:
        raise InputError(where, None, f"no text files ({', '.join(suffixes)}) under {root}")
    return files


def is_validation(path: Path, root: Path, fraction: float) -> bool:
    rel = str(path.relative_to(root)).replace(os.sep, "/")
    return int(hashlib.sha1(rel.encode()).hexdigest()[:8], 16) % 10_000 < fraction * 10_000


@dataclass
class Tokenizer:
    kind: str  # "byte" or "bpe"
    vocab_size: int
    _bpe: object | None = None

    def encode(self, text: str) -> np.ndarray:
        if self.kind == "byte":
            ids = np.frombuffer(text.encode("utf-8", errors="replace"), dtype=np.uint8).astype(np.uint16)
            return np.append(ids, np.uint16(EOT))
        ids = np.asarray(self._bpe.encode(text).ids, dtype=np.uint16)  # type: ignore[attr-defined]
        return np.append(ids, np.uint16(self.vocab_size - 1))


def make_tokenizer(kind: str, train_texts: list[str], vocab_size: int = 2048) -> Tokenizer:
    if kind == "byte":
        return Tokenizer("byte", 257)
    if kind != "bpe":
        raise InputError("tokenizer", None, f"must be byte or bpe, got {kind!r}")
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    tok = HFTokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - 1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)  # fmt: skip
    tok.train_from_iterator(train_texts, trainer=trainer)
    return Tokenizer("bpe", tok.get_vocab_size() + 1, tok)


@dataclass
class TokenData:
    """Memory-mapped uint16 token streams and their description."""

    train: np.ndarray
    val: np.ndarray
    vocab_size: int
    meta: dict

    def batch(
        self, split: str, index: int, batch: int, seq: int, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic batch `index` of `split`: (inputs, targets), each (batch, seq)."""
        data = self.train if split == "train" else self.val
        if len(data) <= seq + 1:
            raise InputError("corpus", split, f"{len(data)} tokens is too few for sequences of {seq}")
        rng = np.random.default_rng((seed, index, 0 if split == "train" else 1))
        starts = rng.integers(0, len(data) - seq - 1, batch)
        x = np.stack([data[s : s + seq] for s in starts]).astype(np.int64)
        y = np.stack([data[s + 1 : s + seq + 1] for s in starts]).astype(np.int64)
        return x, y


@dataclass(frozen=True)
class Corpus:
    """The text a ladder trains on, read once within its byte budget, with a digest of its bytes."""

    root: Path
    texts: tuple[tuple[Path, str], ...]  # (file, text), sorted
    digest: str  # sha256 over every file's relative path and the bytes read from it
    is_default: bool


def load_corpus(corpus: str | Path | None, max_bytes: int) -> Corpus:
    """Read the corpus through the bounded reader: at most `max_bytes` in all, so one 275 MB file
    costs its first `max_bytes`, not its whole size. The digest covers the bytes, not just names
    and sizes, so an edited file is a different corpus."""
    from trillion.io.files import open_bounded

    root = Path(corpus) if corpus else default_corpus()
    digest = hashlib.sha256()
    texts, left = [], max_bytes
    for f in corpus_files(corpus, max_bytes):
        if left <= 0:
            break
        with open_bounded(f, 2**62, str(f)) as fh:  # size is bounded by the read below
            raw = fh.read(left)
        left -= len(raw)
        rel = str(f.relative_to(root)).replace(os.sep, "/")
        digest.update(rel.encode() + b"\0" + len(raw).to_bytes(8, "little") + raw)
        texts.append((f, raw.decode("utf-8", errors="replace")))
    return Corpus(root, tuple(texts), digest.hexdigest(), corpus is None)


def data_key(c: Corpus, tokenizer: str, val_fraction: float = 0.05, vocab_size: int = 2048) -> dict:
    """Everything that determines the token files: the corpus bytes and the tokenizer."""
    return {"corpus": str(c.root), "files": len(c.texts), "digest": c.digest, "tokenizer": tokenizer,
            "val_fraction": val_fraction, "vocab_request": vocab_size}  # fmt: skip


def prepared_key(out_dir: str | Path) -> dict | None:
    """The key of the token files already in `out_dir` (None when there are none or they are unreadable)."""
    from trillion.io.files import read_json

    meta_path = Path(out_dir) / "data.json"
    if not meta_path.exists():
        return None
    try:
        meta = read_json(meta_path, 2**20)
    except InputError:
        return None
    return meta.get("key") if isinstance(meta, dict) else None


def prepare(out_dir: str | Path, corpus: str | Path | None = None, *, tokenizer: str = "byte",
            max_bytes: int = 8 * 2**20, val_fraction: float = 0.05, vocab_size: int = 2048,
            loaded: Corpus | None = None) -> TokenData:  # fmt: skip
    """Tokenise the corpus into ``out_dir/{train,val}.bin`` (reused when the same corpus bytes and
    tokenizer were prepared before) and memory-map them. `loaded`: the corpus, already read."""
    from trillion.io.files import read_json, write_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = loaded or load_corpus(corpus, max_bytes)
    key = data_key(c, tokenizer, val_fraction, vocab_size)
    meta_path = out / "data.json"
    if prepared_key(out) == key and token_file_problem(out, read_json(meta_path, 2**20)) is None:
        return _open(out, read_json(meta_path, 2**20))  # damaged token files are prepared again below
    texts = {"train": [], "val": []}  # type: dict[str, list[str]]
    for f, text in c.texts:
        texts["val" if is_validation(f, c.root, val_fraction) else "train"].append(text)
    if not texts["val"]:  # tiny corpora: hold out the last file
        texts["val"].append(texts["train"].pop())
    if not texts["train"]:
        raise InputError("corpus", None, "needs at least two text files (one to train, one to validate)")
    tok = make_tokenizer(tokenizer, texts["train"], vocab_size)
    sizes = {}
    for split, docs in texts.items():
        ids = np.concatenate([tok.encode(d) for d in docs]).astype(np.uint16)
        write_file(out / f"{split}.bin", ids.tobytes())
        sizes[split] = int(ids.nbytes)
    meta = {"key": key, "vocab_size": tok.vocab_size, "tokenizer": tokenizer, "bytes": sizes,
            "source": f"{len(c.texts)} files under {c.root}" + (" (Python standard library)" if c.is_default else "")}  # fmt: skip
    write_file(meta_path, json.dumps(meta, indent=1))
    return _open(out, meta)


def open_prepared(out_dir: str | Path) -> TokenData:
    """The token files `prepare` wrote in `out_dir`, without reading the corpus again (so the data
    a finished run used is the data it is evaluated on)."""
    from trillion.io.files import read_json

    out = Path(out_dir)
    meta = read_json(out / "data.json", 2**20) if (out / "data.json").exists() else None
    if not isinstance(meta, dict) or not (out / "train.bin").exists() or not (out / "val.bin").exists():
        raise InputError(str(out), None, "no prepared token files here (run `trillion ladder run` first)")
    return _open(out, meta)


def token_file_problem(out: Path, meta: object) -> str | None:
    """Why the token files in `out` cannot be used, or None: each must exist, be a non-empty whole
    number of 2-byte tokens and (when data.json records it) have the size it was written with."""
    if not isinstance(meta, dict):
        return "data.json is not an object"
    vocab = meta.get("vocab_size")
    if isinstance(vocab, bool) or not isinstance(vocab, int) or not 2 <= vocab <= 2**16:
        return f"data.json's vocab_size is {str(vocab)[:40]!r}, not a vocabulary of uint16 tokens"
    if not isinstance(meta.get("source"), str):
        return "data.json's source is not text"
    recorded = meta.get("bytes")
    for split in ("train", "val"):
        path = out / f"{split}.bin"
        try:
            size = path.stat().st_size
        except OSError as e:
            return f"{path.name} cannot be read ({e.strerror or e})"
        if size == 0 or size % TOKEN_BYTES:
            return f"{path.name} has {size:,} bytes, not a whole number of {TOKEN_BYTES}-byte tokens"
        if isinstance(recorded, dict) and recorded.get(split) not in (None, size):
            return f"{path.name} has {size:,} bytes, data.json records {recorded.get(split)!r}"
    return None


def _open(out: Path, meta: dict) -> TokenData:
    problem = token_file_problem(out, meta)
    if problem:
        raise InputError(str(out), None, f"token files are damaged ({problem}); `trillion ladder repair --dir "
                         f"{out.parent}` moves them aside and the next `ladder run` prepares them again")  # fmt: skip
    train = np.memmap(out / "train.bin", dtype=np.uint16, mode="r")
    val = np.memmap(out / "val.bin", dtype=np.uint16, mode="r")
    meta = {**meta, "train_tokens": int(len(train)), "val_tokens": int(len(val))}
    return TokenData(train, val, meta["vocab_size"], meta)
