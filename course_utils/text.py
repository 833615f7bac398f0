"""Text for the capstone's character-level language model (notebook 11): nothing is downloaded.

The corpus is ``pydoc_data.topics``, the documentation that ``help()`` shows, shipped with
Python itself (about 465k characters; its exact text depends on the Python version). The text
becomes a sequence of token ids, one per character; a model sees windows of ``context``
characters and predicts, at every position, the character that follows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "load_corpus",
    "corpus_fingerprint",
    "CharVocab",
    "TextSplit",
    "split_text",
    "sample_batch",
    "eval_windows",
    "bits_per_char",
]


def load_corpus() -> str:
    """The text of every topic of ``pydoc_data.topics``, in sorted topic order, joined by blank lines."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics))


def corpus_fingerprint(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``text`` (UTF-8): which corpus a run saw."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class CharVocab:
    """A character vocabulary: id i is the i-th distinct character of the text in code-point order."""

    def __init__(self, text: str) -> None:
        if not text:
            raise ValueError("text must not be empty")
        self.chars: list[str] = sorted(set(text))
        self._index = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def encode(self, text: str) -> Tensor:
        """The ids of the characters of ``text`` as an int64 tensor (KeyError names an unknown character)."""
        try:
            return torch.tensor([self._index[ch] for ch in text], dtype=torch.int64)
        except KeyError as err:
            raise KeyError(f"character {err.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: Tensor | Sequence[int]) -> str:
        """The text of a 1-D sequence of ids (the inverse of `encode`)."""
        values = ids.tolist() if torch.is_tensor(ids) else list(ids)
        if any(not 0 <= int(i) < len(self.chars) for i in values):
            raise ValueError(f"ids must be in [0, {len(self.chars)})")
        return "".join(self.chars[int(i)] for i in values)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters)"


@dataclass
class TextSplit:
    """The corpus as ids: ``train`` (the first part) and ``val`` (the held-out last part)."""

    vocab: CharVocab
    train: Tensor
    val: Tensor
    fingerprint: str

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)


def split_text(text: str | None = None, val_fraction: float = 0.1) -> TextSplit:
    """Encode ``text`` (default: `load_corpus`) and cut it in two: the first ``1 - val_fraction``
    of the characters for training, the rest held out. The cut is contiguous, so no window of
    the held-out part was ever seen in training (only its characters)."""
    if not (isinstance(val_fraction, float) and 0.0 < val_fraction < 1.0):
        raise ValueError(f"val_fraction must be a float in (0, 1), got {val_fraction!r}")
    text = load_corpus() if text is None else text
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    n_train = int(round(len(ids) * (1.0 - val_fraction)))
    if not 0 < n_train < len(ids):
        raise ValueError(f"text of {len(ids)} characters is too short to split with val_fraction={val_fraction}")
    return TextSplit(vocab, ids[:n_train], ids[n_train:], corpus_fingerprint(text))


def sample_batch(ids: Tensor, batch_size: int, context: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """``batch_size`` windows at uniformly random offsets s: x = ids[s : s + context] and the
    targets y = ids[s + 1 : s + context + 1] (the next character at every position). Both are
    int64 of shape (batch_size, context); the offsets come from ``generator`` only."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if context < 1:
        raise ValueError(f"context must be >= 1, got {context}")
    if ids.ndim != 1 or len(ids) < context + 1:
        raise ValueError(f"ids must be 1-D with at least context + 1 = {context + 1} entries, got shape {tuple(ids.shape)}")
    starts = torch.randint(0, len(ids) - context, (batch_size,), generator=generator)
    offsets = torch.arange(context + 1)
    windows = ids[starts[:, None] + offsets]
    return windows[:, :-1], windows[:, 1:]


def eval_windows(ids: Tensor, context: int, max_windows: int | None = None) -> tuple[Tensor, Tensor]:
    """Consecutive non-overlapping windows of ``ids`` (inputs and next-character targets), the
    first ``max_windows`` of them (all by default): a fixed evaluation set, no randomness."""
    if context < 1:
        raise ValueError(f"context must be >= 1, got {context}")
    n = (len(ids) - 1) // context
    if max_windows is not None:
        if max_windows < 1:
            raise ValueError(f"max_windows must be >= 1, got {max_windows}")
        n = min(n, max_windows)
    if n < 1:
        raise ValueError(f"ids has {len(ids)} entries, too few for one window of {context}")
    x = ids[: n * context].reshape(n, context)
    y = ids[1 : n * context + 1].reshape(n, context)
    return x, y


def bits_per_char(loss_nats: float | Tensor) -> float:
    """A mean cross-entropy in nats per character, in bits per character: loss / ln 2."""
    return float(loss_nats) / math.log(2.0)
