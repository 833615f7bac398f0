"""Tests for notebook 05's checkers: each is fed the right answer, a stub, and known wrong answers."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import DataLoader, RandomSampler

from course_utils.checks import (
    check_accumulation,
    check_loader,
    check_minibatch_variance,
    minibatch_gradient_variance,
)
from course_utils.checks.nb05_sgd_minibatch import _accumulate


# ---------------------------------------------------------------------------------------------
# minibatch_gradient_variance / check_minibatch_variance
# ---------------------------------------------------------------------------------------------
def test_variance_formula_against_exhaustive_enumeration():
    """Without replacement: average ||mean - g||^2 over all C(N, B) subsets equals the formula."""
    from itertools import combinations

    gen = torch.Generator().manual_seed(0)
    G = torch.randn(7, 2, generator=gen, dtype=torch.float64)
    g = G.mean(0)
    sigma2 = float(((G - g) ** 2).sum(1).mean())
    for b in range(1, 8):
        subsets = list(combinations(range(7), b))
        v = sum(float(((G[list(s)].mean(0) - g) ** 2).sum()) for s in subsets) / len(subsets)
        assert v == pytest.approx(minibatch_gradient_variance(sigma2, 7, b, replacement=False), rel=1e-12)
    # with replacement: all 7^2 ordered pairs for B = 2
    v2 = sum(float((((G[i] + G[j]) / 2 - g) ** 2).sum()) for i in range(7) for j in range(7)) / 49
    assert v2 == pytest.approx(minibatch_gradient_variance(sigma2, 7, 2, replacement=True), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.1, 10), st.integers(2, 200), st.data())
def test_full_batch_without_replacement_has_no_noise(sigma2, n, data):
    assert minibatch_gradient_variance(sigma2, n, n, replacement=False) == 0.0
    b = data.draw(st.integers(1, n))
    assert minibatch_gradient_variance(sigma2, n, b, False) <= minibatch_gradient_variance(sigma2, n, b, True)


def test_variance_bad_batch_size_raises():
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_gradient_variance(1.0, 10, 11, replacement=False)
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_gradient_variance(1.0, 10, 0, replacement=False)


def test_check_minibatch_variance():
    assert check_minibatch_variance(3.0 / 5 * 15 / 19).passed
    assert check_minibatch_variance(None).status == "NOT IMPLEMENTED YET"
    r = check_minibatch_variance(3.0 / 5)  # forgot the correction
    assert not r.passed and "replacement" in r.hint
    r = check_minibatch_variance(3.0 / 5 * 15 / 20)  # (N - B) / N
    assert not r.passed and "population variance" in r.hint
    assert "(N - B) / (N - 1)" not in r.hint  # the concept, not the answer
    r = check_minibatch_variance(3.0 / 25)
    assert not r.passed and "B^2" in r.hint
    assert check_minibatch_variance(0.6, replacement=True).passed
    r = check_minibatch_variance(3.0 / 5 * 15 / 19, replacement=True)
    assert not r.passed and "independent" in r.hint


# ---------------------------------------------------------------------------------------------
# check_accumulation
# ---------------------------------------------------------------------------------------------
def right(model, optimizer, loss_fn, batches, k):
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        start = (i // k) * k
        n_group = sum(len(b[0]) for b in batches[start:start + k])
        (loss_fn(model(xb), yb) * len(xb) / n_group).backward()
        if (i + 1) % k == 0 or i + 1 == len(batches):
            optimizer.step()
            optimizer.zero_grad()


def right_with_sum(model, optimizer, loss_fn, batches, k):
    """Another correct way: sum of per-example losses, gradients divided by the group size."""
    count = 0
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        (loss_fn(model(xb), yb) * len(xb)).backward()
        count += len(xb)
        if (i + 1) % k == 0 or i + 1 == len(batches):
            for p in model.parameters():
                p.grad /= count
            optimizer.step()
            optimizer.zero_grad()
            count = 0


def seed_001(model, optimizer, loss_fn, batches, k):
    for i, (xb, yb) in enumerate(batches):
        loss = loss_fn(model(xb), yb) / k
        loss.backward()
        if i % k == 0:
            optimizer.step()
            optimizer.zero_grad()


def no_tail(model, optimizer, loss_fn, batches, k):
    _accumulate(model, optimizer, loss_fn, batches, k, when=lambda i, k: (i + 1) % k == 0,
                scale=lambda nb, s, k: nb / sum(s), tail=False)


def divide_by_k(model, optimizer, loss_fn, batches, k):
    _accumulate(model, optimizer, loss_fn, batches, k, when=lambda i, k: (i + 1) % k == 0,
                scale=lambda nb, s, k: 1 / k)


def divide_by_count(model, optimizer, loss_fn, batches, k):
    _accumulate(model, optimizer, loss_fn, batches, k, when=lambda i, k: (i + 1) % k == 0,
                scale=lambda nb, s, k: 1 / len(s))


def no_division(model, optimizer, loss_fn, batches, k):
    _accumulate(model, optimizer, loss_fn, batches, k, when=lambda i, k: (i + 1) % k == 0,
                scale=lambda nb, s, k: 1.0)


def no_zero_grad(model, optimizer, loss_fn, batches, k):
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        start = (i // k) * k
        n_group = sum(len(b[0]) for b in batches[start:start + k])
        (loss_fn(model(xb), yb) * len(xb) / n_group).backward()
        if (i + 1) % k == 0 or i + 1 == len(batches):
            optimizer.step()


def stub(model, optimizer, loss_fn, batches, k):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [right, right_with_sum])
def test_accumulation_passes_correct_versions(fn):
    r = check_accumulation(fn)
    assert r.passed, r


@pytest.mark.parametrize("fn, words", [
    (seed_001, "i % k == 0"),
    (no_tail, "partial group"),
    (divide_by_k, "dividing each loss by k"),
    (divide_by_count, "number of micro-batches"),
    (no_division, "not divided"),
    (no_zero_grad, "zero_grad"),
])
def test_accumulation_names_the_mistake(fn, words):
    r = check_accumulation(fn)
    assert not r.passed
    assert words in r.hint, r
    assert "len(xb) /" not in r.hint  # the concept, not the weighting that answers the exercise


def test_accumulation_counts_steps_and_reports_stub_and_crash():
    r = check_accumulation(no_tail)  # passes the exact groups, then misses the tail group's step
    assert "you took 2 optimizer steps, the big-batch run takes 3" in r.message
    assert check_accumulation(stub).status == "NOT IMPLEMENTED YET"

    def crashes(model, optimizer, loss_fn, batches, k):
        raise RuntimeError("boom")

    assert check_accumulation(crashes).status == "ERROR"


# ---------------------------------------------------------------------------------------------
# check_loader
# ---------------------------------------------------------------------------------------------
def good_loader(dataset, batch_size, device):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True,
                      pin_memory=device.type == "cuda")


def test_loader_passes_the_right_call():
    assert check_loader(good_loader).passed


@pytest.mark.parametrize("fn, words", [
    (lambda ds, b, d: DataLoader(ds, batch_size=b, shuffle=True, drop_last=True, pin_device=True), "pin_memory"),
    (lambda ds, b, d: DataLoader(ds, batch_size=b, shuffle=False, drop_last=True), "shuffle=True"),
    (lambda ds, b, d: DataLoader(ds, batch_size=b, shuffle=True), "drop_last"),
    (lambda ds, b, d: DataLoader(ds, batch_size=b, shuffle=True, drop_last=True, pin_memory=True), "CUDA"),
    (lambda ds, b, d: DataLoader(ds, batch_size=b, shuffle=True, drop_last=True), "CUDA"),
    (lambda ds, b, d: DataLoader(ds, batch_size=2 * b, shuffle=True, drop_last=True,
                                 pin_memory=d.type == "cuda"), "batch_size"),
    (lambda ds, b, d: DataLoader(ds, batch_size=b, sampler=RandomSampler(ds, replacement=True),
                                 drop_last=True, pin_memory=d.type == "cuda"), "replacement"),
])
def test_loader_names_the_mistake(fn, words):
    r = check_loader(fn)
    assert not r.passed
    assert words in r.hint, r


def test_loader_stub():
    def make_loader(dataset, batch_size, device):
        raise NotImplementedError

    assert check_loader(make_loader).status == "NOT IMPLEMENTED YET"
