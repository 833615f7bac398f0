"""The learning-rate range test: lr sequences, smoothing, early stop, state restored, suggestions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from torch import nn

from course_utils.averages import ewma
from course_utils.checks import check_lr_pick, check_lr_sequence, check_set_lr
from course_utils.lr_finder import (
    lr_range_test,
    lr_schedule,
    plot_lr_finder,
    suggest_lrs,
    valley_index,
)
from course_utils.optim import SGD


def regression_problem(seed=0, n=64, batch=16):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=gen)
    y = X @ torch.randn(5, 1, generator=gen) + 0.1 * torch.randn(n, 1, generator=gen)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
    loader = [(X[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]
    return model, nn.MSELoss(), loader


class Quadratic(nn.Module):
    """loss = curvature / 2 * w^2 (the "model" returns the loss; the loss_fn passes it through):
    gradient descent diverges exactly for lr > 2 / curvature."""

    def __init__(self, curvature=4.0):
        super().__init__()
        self.curvature = curvature
        self.w = nn.Parameter(torch.tensor([1.0], dtype=torch.float64))

    def forward(self, x):
        return 0.5 * self.curvature * (self.w**2).sum()


def passthrough(out, y):
    return out


DUMMY = [(torch.zeros(1), torch.zeros(1))]


# --------------------------------------------------------------------------------------------
# The lr sequence
# --------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(start=st.floats(1e-8, 1e-1), ratio=st.floats(1.5, 1e8), n=st.integers(2, 300))
def test_exp_sequence_is_geometric_and_exact_at_ends(start, ratio, n):
    end = start * ratio
    lrs = lr_schedule(start, end, n, "exp")
    i = np.arange(n)
    expected = start * (end / start) ** (i / (n - 1))
    assert len(lrs) == n and lrs[0] == start and lrs[-1] == end
    np.testing.assert_allclose(lrs, expected, rtol=1e-12)
    np.testing.assert_allclose(np.diff(np.log(lrs)), np.log(ratio) / (n - 1), rtol=1e-7)


@settings(max_examples=60, deadline=None)
@given(start=st.floats(1e-6, 1.0), width=st.floats(1e-3, 10.0), n=st.integers(2, 300))
def test_linear_sequence_is_evenly_spaced(start, width, n):
    end = start + width
    lrs = lr_schedule(start, end, n, "linear")
    assert lrs[0] == start and lrs[-1] == end
    np.testing.assert_allclose(np.diff(lrs), width / (n - 1), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_the_lrs_used_are_the_schedule(mode):
    """The lr each optimizer step actually saw equals the schedule."""
    model, loss_fn, loader = regression_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    seen = []
    original = opt.step

    def spy(*a, **k):
        seen.append(opt.param_groups[0]["lr"])
        return original(*a, **k)

    opt.step = spy
    res = lr_range_test(model, opt, loss_fn, loader, 1e-4, 1e-2, 12, step_mode=mode, restore=False)
    assert res.stop_reason == "end_lr"
    np.testing.assert_array_equal(seen, lr_schedule(1e-4, 1e-2, 12, mode))
    np.testing.assert_array_equal(res.lrs, seen)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"start_lr": 1.0, "end_lr": 1.0}, "start_lr must be < end_lr"),
        ({"start_lr": 2.0, "end_lr": 1.0}, "start_lr must be < end_lr"),
        ({"start_lr": 0.0, "end_lr": 1.0}, "start_lr must be a finite number > 0"),
        ({"start_lr": -1e-3, "end_lr": 1.0}, "start_lr must be"),
        ({"start_lr": 1e-3, "end_lr": math.inf}, "end_lr must be"),
        ({"num_iter": 1}, "num_iter must be an integer >= 2"),
        ({"step_mode": "log"}, "step_mode must be 'exp' or 'linear'"),
        ({"smooth_beta": 1.0}, "smooth_beta must be in"),
        ({"diverge_threshold": 1.0}, "diverge_threshold must be > 1"),
    ],
)
def test_bad_arguments_raise_value_errors(kwargs, match):
    model, loss_fn, loader = regression_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    args = {"start_lr": 1e-4, "end_lr": 1.0, "num_iter": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        lr_range_test(model, opt, loss_fn, loader, **args)


def test_empty_loader_raises():
    model, loss_fn, _ = regression_problem()
    with pytest.raises(ValueError, match="no batches"):
        lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, [], 1e-3, 1.0, 5)


# --------------------------------------------------------------------------------------------
# State restored
# --------------------------------------------------------------------------------------------
def snapshot(model, opt):
    params = [p.detach().clone() for p in model.parameters()]
    buffers = {k: v.clone() for k, v in model.state_dict().items()}
    sd = opt.state_dict()
    state = {k: {n: (v.clone() if torch.is_tensor(v) else v) for n, v in s.items()} for k, s in sd["state"].items()}
    groups = [{k: v for k, v in g.items() if k != "params"} for g in sd["param_groups"]]
    return params, buffers, state, groups


def assert_same(a, b):
    pa, ba, sa, ga = a
    pb, bb, sb, gb = b
    assert all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))
    assert ba.keys() == bb.keys() and all(torch.equal(ba[k], bb[k]) for k in ba)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].keys() == sb[k].keys()
        for n in sa[k]:
            x, y = sa[k][n], sb[k][n]
            assert torch.equal(torch.as_tensor(x), torch.as_tensor(y)), (k, n)
    assert ga == gb


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
        lambda ps: torch.optim.Adam(ps, lr=3e-3),
    ],
    ids=["course SGD", "torch SGD", "torch Adam"],
)
def test_model_and_optimizer_state_are_restored(make_opt):
    model, loss_fn, loader = regression_problem()
    model.append(nn.BatchNorm1d(1))  # a buffer (running stats) that training changes
    opt = make_opt(model.parameters())
    for xb, yb in loader:  # give the optimizer some state first
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()
    model.eval()
    before = snapshot(model, opt)
    res = lr_range_test(model, opt, loss_fn, loader, 1e-5, 10.0, 40)
    assert len(res) >= 3
    assert_same(before, snapshot(model, opt))
    assert not model.training
    # and it is not a no-op: without restore the parameters move
    res2 = lr_range_test(model, opt, loss_fn, loader, 1e-5, 10.0, 40, restore=False)
    assert len(res2) >= 3
    assert not all(torch.equal(x, y) for x, y in zip(before[0], snapshot(model, opt)[0], strict=True))


def test_restored_optimizer_continues_as_if_the_test_never_ran():
    def run(with_finder):
        model, loss_fn, loader = regression_problem()
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        if with_finder:
            lr_range_test(model, opt, loss_fn, loader, 1e-4, 1.0, 20)
        for xb, yb in loader * 3:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert torch.equal(run(False), run(True))


def test_works_with_course_and_torch_optimizers():
    for make_opt in (lambda ps: SGD(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=1e-3)):
        model, loss_fn, loader = regression_problem()
        res = lr_range_test(model, make_opt(model.parameters()), loss_fn, loader, 1e-5, 10.0, 60)
        assert res.smoothed[np.isfinite(res.smoothed)].min() < res.smoothed[0]  # the loss fell at some lr
        assert set(res.suggestions) == {"steepest", "min/10", "valley"}
        assert all(1e-5 <= v <= 10.0 for k, v in res.suggestions.items() if k != "min/10")


# --------------------------------------------------------------------------------------------
# Smoothing and stopping
# --------------------------------------------------------------------------------------------
def test_smoothed_is_the_bias_corrected_ewma_of_the_raw_losses():
    model, loss_fn, loader = regression_problem()
    res = lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, loader, 1e-4, 1e-1, 30,
                        smooth_beta=0.9)
    expected = ewma(torch.as_tensor(res.losses, dtype=torch.float64), 0.9, bias_correction=True).numpy()
    np.testing.assert_allclose(res.smoothed, expected, rtol=1e-12)
    assert res.smoothed[0] == res.losses[0]  # corrected from the first step


def test_stops_on_divergence_past_the_critical_lr():
    """On curvature 4, GD diverges for lr > 2 / 4 = 0.5: the test must stop there, not before."""
    model = Quadratic(4.0)
    res = lr_range_test(model, torch.optim.SGD(model.parameters()), passthrough, DUMMY, 1e-3, 100.0, 200)
    assert res.stop_reason == "diverged" and res.diverged
    assert len(res) < 200
    assert res.lrs[-1] > 0.5
    assert res.smoothed[-1] > 5.0 * np.min(res.smoothed)
    assert np.all(res.smoothed[:-1] <= 5.0 * np.minimum.accumulate(res.smoothed[:-1]))
    # below the critical lr the loss only falls (|1 - lr * 4| < 1)
    stable = res.lrs < 0.5
    assert np.all(np.diff(res.losses[stable]) <= 0)


def test_a_higher_threshold_runs_longer():
    model = Quadratic(4.0)
    a = lr_range_test(model, torch.optim.SGD(model.parameters()), passthrough, DUMMY, 1e-3, 100.0, 200,
                      diverge_threshold=2.0)
    b = lr_range_test(model, torch.optim.SGD(model.parameters()), passthrough, DUMMY, 1e-3, 100.0, 200,
                      diverge_threshold=1e6)
    assert len(a) < len(b)


def test_stops_on_nan():
    class NanAfter(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor(1.0))
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return self.w**2 * (math.nan if self.calls > 7 else 1.0)

    res = lr_range_test(NanAfter(), torch.optim.SGD([nn.Parameter(torch.zeros(1))]), passthrough, DUMMY,
                        1e-4, 1e-3, 50)
    # the optimizer above does not own the model's w: only the stop matters here
    assert res.stop_reason == "nan" and len(res) == 8
    assert math.isnan(res.losses[-1]) and np.all(np.isfinite(res.losses[:-1]))


def test_loader_is_cycled():
    model, loss_fn, loader = regression_problem(n=32, batch=16)  # two batches
    res = lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, loader, 1e-6, 2e-6, 9)
    assert len(res) == 9 and res.stop_reason == "end_lr"
    # at such small lrs the model barely moves: batch i and batch i + 2 give (almost) the same loss
    np.testing.assert_allclose(res.losses[2:], res.losses[:-2], rtol=1e-4)


# --------------------------------------------------------------------------------------------
# Suggestions on a curve whose answers are known by construction
# --------------------------------------------------------------------------------------------
def synthetic_curve(n=301, u0=-4.0, u1=-1.0, lo=-6.0, hi=1.0):
    """Flat at 2 for log10 lr < u0, a half cosine down to 0 on [u0, u1] (steepest at the middle),
    then a steep rise. By construction: steepest = 10^((u0+u1)/2), minimum at 10^u1, and the
    descent is exactly [u0, u1], so the valley's pick is its middle."""
    u = np.linspace(lo, hi, n)
    y = np.where(u < u0, 2.0, 1.0 + np.cos(np.pi * (u - u0) / (u1 - u0)))
    y = np.where(u > u1, (u - u1) ** 2 * 20.0, y)
    return 10**u, y, u


def test_suggestions_on_a_known_curve():
    lrs, y, u = synthetic_curve()
    du = u[1] - u[0]
    sug = suggest_lrs(lrs, y)
    assert abs(np.log10(sug["steepest"]) - (-2.5)) <= du + 1e-9
    assert abs(np.log10(sug["min/10"]) - (-1.0 - 1.0)) <= du + 1e-9
    start, end, pick = valley_index(y)
    assert abs(u[start] - (-4.0)) <= du + 1e-9 and abs(u[end] - (-1.0)) <= du + 1e-9
    assert abs(np.log10(sug["valley"]) - (-2.5)) <= du + 1e-9
    assert pick == start + (end - start) // 2


def test_valley_survives_noise_and_ignores_a_short_early_dip():
    lrs, y, u = synthetic_curve()
    rng = np.random.default_rng(0)
    noisy = y + 0.002 * rng.standard_normal(len(y)) * (u < -1.0)
    noisy[5:12] = np.linspace(2.2, 1.9, 7)  # a short early descent: not the longest
    start, end, _ = valley_index(noisy)
    assert -4.3 <= u[start] <= -3.7 and abs(u[end] - (-1.0)) < 0.1


def test_suggestions_drop_nan_and_need_three_points():
    lrs, y, _ = synthetic_curve()
    y2 = y.copy()
    y2[-1] = np.nan
    assert suggest_lrs(lrs, y2) == suggest_lrs(lrs[:-1], y[:-1])
    with pytest.raises(ValueError, match="at least 3"):
        suggest_lrs([1e-3, 1e-2], [1.0, 0.5])
    with pytest.raises(ValueError, match="same length"):
        suggest_lrs([1e-3, 1e-2, 1e-1], [1.0, 0.5])


def test_result_suggestions_come_from_its_smoothed_curve():
    model, loss_fn, loader = regression_problem()
    res = lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, loader, 1e-5, 10.0, 80)
    assert res.suggestions == suggest_lrs(res.lrs, res.smoothed)
    assert res.lr_at_min == pytest.approx(res.suggestions["min/10"] * 10)


def test_plot_marks_every_suggestion():
    model, loss_fn, loader = regression_problem()
    res = lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, loader, 1e-5, 10.0, 60)
    fig = plot_lr_finder(res)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for name in ("steepest", "min/10", "valley"):
        assert any(lab.startswith(name) for lab in labels)
    assert ax.get_xscale() == "log" and ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


# --------------------------------------------------------------------------------------------
# The notebook's checkers, fed right and wrong answers
# --------------------------------------------------------------------------------------------


def test_check_lr_sequence_passes_right_and_names_mistakes():
    assert check_lr_sequence(lambda s, e, n: s * (e / s) ** (np.arange(n) / (n - 1))).passed
    assert check_lr_sequence(lambda s, e, n: np.logspace(np.log10(s), np.log10(e), n)).passed
    assert check_lr_sequence(lambda s, e, n: torch.logspace(math.log10(s), math.log10(e), n, dtype=torch.float64)).passed
    cases = [
        (lambda s, e, n: np.linspace(s, e, n), "evenly spaced in lr"),
        (lambda s, e, n: s * (e / s) ** (np.arange(n) / n), "falls short of end_lr"),
        (lambda s, e, n: s * (e / s) ** (np.arange(1, n + 1) / (n - 1)), "must be start_lr itself"),
        (lambda s, e, n: (s * (e / s) ** (np.arange(n) / (n - 1)))[::-1], "backwards"),
        (lambda s, e, n: s * (e / s) ** (np.arange(n + 1) / n), "off by one in the count"),
        (lambda s, e, n: s * (e / s) ** (np.arange(n) / (n - 1)) ** 2, "same factor"),
    ]
    for fn, hint in cases:
        res = check_lr_sequence(fn)
        assert not res.passed and hint in res.hint, (hint, res)
        assert "**" not in res.hint and "(t - 1)" not in res.hint  # a concept, never the formula

    def stub(s, e, n):
        raise NotImplementedError

    assert check_lr_sequence(stub).status == "NOT IMPLEMENTED YET"


def test_check_set_lr_catches_the_seed_bug():
    def seed_style(opt, lr):
        opt.lr = lr

    def first_group_only(opt, lr):
        opt.param_groups[0]["lr"] = lr

    def right(opt, lr):
        for g in opt.param_groups:
            g["lr"] = lr

    res = check_set_lr(seed_style)
    assert not res.passed and "never reads" in res.hint
    res = check_set_lr(first_group_only)
    assert not res.passed and "every parameter group" in res.hint
    assert check_set_lr(right).passed


def test_check_lr_pick_accepts_the_descent_only():
    """On the synthetic curve the loss falls on [1e-4, 1e-1]; a tenth of the fall is done at
    log10 lr = -4 + 3 * arccos(0.8) / pi ~ -3.39; the minimum is at 1e-1."""
    from course_utils.lr_finder import LRFinderResult

    lrs, y, _ = synthetic_curve()
    res = LRFinderResult(lrs, y, y, "diverged", 0.9, 5.0)
    low = -4 + 3 * np.arccos(0.8) / np.pi
    assert check_lr_pick(10**-2.5, res).passed
    assert check_lr_pick(10 ** (low + 0.05), res).passed and check_lr_pick(0.049, res).passed
    assert "before" in check_lr_pick(10 ** (low - 0.05), res).message
    assert "bottom" in check_lr_pick(0.1, res).message
    assert "past the minimum" in check_lr_pick(1.0, res).message
    assert check_lr_pick(None, res).status == "NOT IMPLEMENTED YET"
    model, loss_fn, loader = regression_problem()
    real = lr_range_test(model, torch.optim.SGD(model.parameters()), loss_fn, loader, 1e-5, 10.0, 80)
    assert check_lr_pick(real.suggestions["steepest"], real).passed
    assert not check_lr_pick(real.lr_at_min * 10, real).passed


def test_check_set_lr_reports_a_stub():
    def stub(optimizer, lr):
        raise NotImplementedError

    assert check_set_lr(stub).status == "NOT IMPLEMENTED YET"
