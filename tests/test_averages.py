"""EWMA facts the course teaches, as properties."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import effective_window, ewma, ewma_weights

betas = st.floats(0.0, 0.999)


@settings(max_examples=50, deadline=None)
@given(beta=betas, c=st.floats(-100, 100), n=st.integers(1, 60))
def test_corrected_ewma_of_a_constant_is_exact_from_t1(beta, c, n):
    x = torch.full((n,), c, dtype=torch.float64)
    assert torch.allclose(ewma(x, beta, bias_correction=True), x, rtol=1e-12, atol=1e-12)
    raw = ewma(x, beta)
    t = torch.arange(1, n + 1, dtype=torch.float64)
    assert torch.allclose(raw, c * (1 - beta**t), rtol=1e-12, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(beta=betas, t=st.integers(1, 200))
def test_weights_sum_to_one_minus_beta_t(beta, t):
    w = ewma_weights(t, beta)
    assert w.shape == (t,)
    assert float(w.sum()) == pytest.approx(1 - beta**t, rel=1e-9, abs=1e-12)
    assert float(w[-1]) == pytest.approx(1 - beta)  # the newest value has the largest weight


@settings(max_examples=30, deadline=None)
@given(beta=betas, xs=st.lists(st.floats(-10, 10), min_size=1, max_size=40))
def test_ewma_is_the_weighted_sum(beta, xs):
    x = torch.tensor(xs, dtype=torch.float64)
    v = ewma(x, beta)
    for t in (1, len(xs)):
        assert float(v[t - 1]) == pytest.approx(float(ewma_weights(t, beta) @ x[:t]), abs=1e-9)


def test_bad_beta_and_t():
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"beta must be in \[0, 1\)"):
            ewma(torch.ones(3), bad)
    with pytest.raises(ValueError, match="t must be"):
        ewma_weights(0, 0.9)


def test_effective_window():
    assert effective_window(0.9) == pytest.approx(10.0)
    assert effective_window(0.0) == 1.0


def test_integer_series_is_accepted():
    assert ewma(torch.tensor([2, 2, 2]), 0.5, True).tolist() == [2.0, 2.0, 2.0]
