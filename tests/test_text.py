"""course_utils.text: the corpus, the character vocabulary, the split and the batches."""

from __future__ import annotations

import math

import pytest
import torch

from course_utils.text import (
    CharVocab,
    bits_per_char,
    corpus_fingerprint,
    eval_windows,
    load_corpus,
    sample_batch,
    split_text,
)


@pytest.fixture(scope="module")
def corpus() -> str:
    return load_corpus()


def test_corpus_is_pythons_documentation(corpus):
    from pydoc_data.topics import topics

    assert len(corpus) > 100_000
    assert topics["assert"].strip("\n") in corpus
    # every topic, in sorted order, nothing else but the blank lines between them
    assert len(corpus) == sum(len(v.strip("\n")) for v in topics.values()) + 2 * (len(topics) - 1)
    assert corpus.index(topics["assert"].strip("\n")) < corpus.index(topics["while"].strip("\n"))


def test_fingerprint_names_the_text():
    assert corpus_fingerprint("abc") == corpus_fingerprint("abc")
    assert corpus_fingerprint("abc") != corpus_fingerprint("abd")
    assert len(corpus_fingerprint("abc")) == 12


def test_vocab_round_trip_and_order():
    vocab = CharVocab("hello, world")
    assert vocab.chars == sorted(set("hello, world"))
    assert len(vocab) == len(set("hello, world"))
    ids = vocab.encode("world, hello")
    assert ids.dtype == torch.int64
    assert vocab.decode(ids) == "world, hello"
    assert vocab.decode(ids.tolist()) == "world, hello"
    assert vocab.encode(" ").item() == 0  # the space sorts first
    assert "h" in vocab and "z" not in vocab


def test_vocab_errors():
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")
    vocab = CharVocab("abc")
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        vocab.decode([0, 3])


def test_split_is_contiguous_and_complete():
    text = "abcdefghij" * 10
    split = split_text(text, val_fraction=0.2)
    assert len(split.train) == 80 and len(split.val) == 20
    assert split.vocab.decode(torch.cat([split.train, split.val])) == text
    assert split.vocab_size == 10
    assert split.fingerprint == corpus_fingerprint(text)
    with pytest.raises(ValueError, match="val_fraction"):
        split_text(text, val_fraction=1.0)
    with pytest.raises(ValueError, match="val_fraction"):
        split_text(text, val_fraction=0)


def test_default_split_covers_the_corpus(corpus):
    split = split_text()
    assert len(split.train) + len(split.val) == len(corpus)
    assert abs(len(split.val) / len(corpus) - 0.1) < 1e-4
    assert split.vocab.decode(split.val[:50]) == corpus[len(split.train):len(split.train) + 50]


def test_sample_batch_targets_are_the_next_characters():
    ids = torch.arange(100)
    x, y = sample_batch(ids, 8, 5, torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (8, 5)
    assert torch.equal(y, x + 1)  # on 0..99 the next id is id + 1
    assert torch.equal(x[:, 1:], x[:, :-1] + 1)  # windows are consecutive
    assert int(y.max()) <= 99 and int(x.min()) >= 0


def test_sample_batch_reaches_both_ends_and_only_uses_its_generator():
    ids = torch.arange(12)
    seen = set()
    gen = torch.Generator().manual_seed(1)
    for _ in range(200):
        x, _ = sample_batch(ids, 4, 3, gen)
        seen.update(x[:, 0].tolist())
    assert seen == set(range(12 - 3))  # every start 0..len-context-1
    torch.manual_seed(0)
    a = sample_batch(ids, 4, 3, torch.Generator().manual_seed(5))
    torch.manual_seed(123)  # the global RNG plays no part
    b = sample_batch(ids, 4, 3, torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_sample_batch_errors():
    gen = torch.Generator()
    with pytest.raises(ValueError, match="batch_size"):
        sample_batch(torch.arange(10), 0, 3, gen)
    with pytest.raises(ValueError, match="context"):
        sample_batch(torch.arange(10), 2, 0, gen)
    with pytest.raises(ValueError, match="context \\+ 1"):
        sample_batch(torch.arange(4), 2, 4, gen)


def test_eval_windows():
    ids = torch.arange(23)
    x, y = eval_windows(ids, 5)
    assert x.shape == (4, 5)
    assert torch.equal(x.flatten(), torch.arange(20)) and torch.equal(y, x + 1)
    x2, _ = eval_windows(ids, 5, max_windows=2)
    assert x2.shape == (2, 5)
    with pytest.raises(ValueError, match="too few"):
        eval_windows(torch.arange(3), 5)
    with pytest.raises(ValueError, match="max_windows"):
        eval_windows(ids, 5, max_windows=0)


def test_bits_per_char():
    assert bits_per_char(math.log(2.0)) == pytest.approx(1.0)
    assert bits_per_char(torch.tensor(math.log(4.0))) == pytest.approx(2.0)
    # a uniform guess over V characters costs log2 V bits
    assert bits_per_char(math.log(103)) == pytest.approx(math.log2(103))
