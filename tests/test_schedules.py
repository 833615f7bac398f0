"""Every course schedule equals the matching torch.optim.lr_scheduler class, step by step."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

import course_utils.schedules as S
from course_utils.checks import check_scheduler_order, check_step_decay, check_warmup_cosine

RTOL = 1e-12
base_lrs = st.floats(1e-4, 10.0)
fast = settings(max_examples=40, deadline=None)


def assert_matches(ours_fn, make_torch, base_lr, steps):
    ours = S.schedule_lrs(ours_fn, base_lr, steps)
    theirs = S.torch_lrs(make_torch, base_lr, steps)
    assert np.all(np.isfinite(theirs))
    result = S.compare_lrs(ours, theirs, rtol=RTOL)
    assert result, str(result)
    return ours, theirs


# --------------------------------------------------------------------------------------------
# Each schedule against torch, over generated parameters
# --------------------------------------------------------------------------------------------
@fast
@given(base=base_lrs, step_size=st.integers(1, 12), gamma=st.floats(0.05, 0.99), steps=st.integers(1, 80))
def test_step_decay_equals_steplr(base, step_size, gamma, steps):
    assert_matches(lambda t, b: S.step_decay(t, b, step_size, gamma),
                   lambda opt: L.StepLR(opt, step_size=step_size, gamma=gamma), base, steps)


@fast
@given(base=base_lrs, gamma=st.floats(0.8, 0.999), steps=st.integers(1, 200))
def test_exponential_equals_exponentiallr(base, gamma, steps):
    assert_matches(lambda t, b: S.exponential(t, b, gamma),
                   lambda opt: L.ExponentialLR(opt, gamma=gamma), base, steps)


@fast
@given(base=base_lrs, T_max=st.integers(1, 60), eta_frac=st.sampled_from([0.0, 0.01, 0.3]),
       extra=st.integers(0, 70))
def test_cosine_equals_cosineannealinglr(base, T_max, eta_frac, extra):
    eta_min = eta_frac * base
    # beyond T_max both rise again along the same cosine
    assert_matches(lambda t, b: S.cosine(t, b, T_max, eta_min),
                   lambda opt: L.CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min), base, T_max + 1 + extra)


@fast
@given(base=base_lrs, T_0=st.integers(1, 15), T_mult=st.integers(1, 3),
       eta_frac=st.sampled_from([0.0, 0.05]), steps=st.integers(1, 150))
def test_warm_restarts_equal_cosineannealingwarmrestarts(base, T_0, T_mult, eta_frac, steps):
    eta_min = eta_frac * base
    assert_matches(lambda t, b: S.cosine_warm_restarts(t, b, T_0, T_mult, eta_min),
                   lambda opt: L.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=eta_min),
                   base, steps)


def sequential_warmup_cosine(opt, warmup, total, start_factor, eta_min):
    warm = L.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
    cos = L.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=eta_min)
    return L.SequentialLR(opt, [warm, cos], milestones=[warmup])


@fast
@given(base=base_lrs, warmup=st.integers(1, 20), rest=st.integers(1, 60),
       start_factor=st.floats(0.01, 1.0), eta_frac=st.sampled_from([0.0, 0.02]))
def test_warmup_cosine_equals_linearlr_then_cosine(base, warmup, rest, start_factor, eta_frac):
    total, eta_min = warmup + rest, eta_frac * base
    assert_matches(lambda t, b: S.warmup_cosine(t, b, warmup, total, start_factor, eta_min),
                   lambda opt: sequential_warmup_cosine(opt, warmup, total, start_factor, eta_min),
                   base, total + 1)


@fast
@given(base=base_lrs, total=st.integers(4, 300), pct=st.floats(0.05, 0.95),
       div=st.floats(2.0, 100.0), final_div=st.floats(10.0, 1e5))
def test_one_cycle_equals_onecyclelr(base, total, pct, div, final_div):
    if not pct * total > 1:
        return
    assert_matches(lambda t, b: S.one_cycle(t, b, total, pct, div, final_div),
                   lambda opt: L.OneCycleLR(opt, max_lr=base, total_steps=total, pct_start=pct,
                                            div_factor=div, final_div_factor=final_div,
                                            cycle_momentum=False),
                   base, total)


def test_one_cycle_defaults_and_last_allowed_step():
    """torch allows total_steps scheduler steps (t = total_steps), and the defaults match too."""
    total = 50
    ours = S.schedule_lrs(lambda t, b: S.one_cycle(t, b, total), 0.1, total + 1)
    theirs = S.torch_lrs(lambda opt: L.OneCycleLR(opt, max_lr=0.1, total_steps=total), 0.1, total + 1)
    assert S.compare_lrs(ours, theirs)
    assert ours[0] == pytest.approx(0.1 / 25) and ours[total - 1] == pytest.approx(0.1 / 25 / 1e4)
    assert max(ours) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="total_steps"):
        S.one_cycle(total + 1, 0.1, total)


@fast
@given(base=base_lrs, total_iters=st.integers(1, 60), power=st.floats(0.5, 3.0), extra=st.integers(0, 20))
def test_polynomial_equals_polynomiallr(base, total_iters, power, extra):
    assert_matches(lambda t, b: S.polynomial(t, b, total_iters, power),
                   lambda opt: L.PolynomialLR(opt, total_iters=total_iters, power=power),
                   base, total_iters + 1 + extra)


@fast
@given(base=base_lrs, k=st.floats(0.0, 2.0), steps=st.integers(1, 60))
def test_inverse_time_is_seed_formula_from_base(base, k, steps):
    """eta_0 / (1 + k t), as torch's MultiplicativeLR with factor (1 + k(t-1)) / (1 + k t)."""
    ours = S.schedule_lrs(lambda t, b: S.inverse_time(t, b, k), base, steps)
    theirs = S.torch_lrs(lambda opt: L.MultiplicativeLR(opt, lambda t: (1 + k * (t - 1)) / (1 + k * t)), base, steps)
    assert S.compare_lrs(ours, theirs, rtol=1e-11)
    assert ours[0] == base


def test_inverse_time_in_place_misreading_decays_faster():
    """Seed 000 writes alpha = alpha / (1 + decay_rate * epoch): applied to the current lr, it compounds."""
    k, base = 0.5, 1.0
    compounded, lr = [], base
    for epoch in range(6):
        lr = lr / (1 + k * epoch)
        compounded.append(lr)
    ours = S.schedule_lrs(lambda t, b: S.inverse_time(t, b, k), base, 6)
    assert not S.compare_lrs(ours, compounded)
    assert compounded[-1] < ours[-1] / 10


@fast
@given(base=base_lrs, steps=st.integers(1, 30))
def test_constant(base, steps):
    assert_matches(S.constant, lambda opt: L.LambdaLR(opt, lambda t: 1.0), base, steps)


# --------------------------------------------------------------------------------------------
# The comparison fails for a wrong formula
# --------------------------------------------------------------------------------------------
def wrong_cosine_off_by_one(t, base_lr, T_max, eta_min=0.0):
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * (t + 1) / T_max)) / 2


def wrong_one_cycle_no_minus_one(t, base_lr, total_steps, pct_start=0.3):
    """The phase boundary at pct_start * total_steps (without torch's - 1)."""
    initial, final = base_lr / 25.0, base_lr / 25.0 / 1e4
    e1, e2 = pct_start * total_steps, total_steps - 1
    if t <= e1:
        return S._anneal_cos(initial, base_lr, t / e1)
    return S._anneal_cos(base_lr, final, (t - e1) / (e2 - e1))


@pytest.mark.parametrize(
    "wrong, make_torch, steps",
    [
        (wrong_cosine_off_by_one, lambda opt: L.CosineAnnealingLR(opt, T_max=20), 20),
        (lambda t, b: S.step_decay(t + 1, b, 5, 0.5), lambda opt: L.StepLR(opt, 5, 0.5), 20),
        (lambda t, b: S.exponential(t, b, 0.9 + 1e-9), lambda opt: L.ExponentialLR(opt, 0.9), 50),
        (lambda t, b: wrong_one_cycle_no_minus_one(t, b, 100), lambda opt: L.OneCycleLR(opt, 0.1, total_steps=100), 100),
        (lambda t, b: S.warmup_cosine(t, b, 5, 30, 0.1) if t != 17 else S.warmup_cosine(t, b, 5, 30, 0.1) * (1 + 1e-9),
         lambda opt: sequential_warmup_cosine(opt, 5, 30, 0.1, 0.0), 31),
    ],
)
def test_comparison_rejects_wrong_schedules(wrong, make_torch, steps):
    base = 0.1
    if wrong is wrong_cosine_off_by_one:
        ours = S.schedule_lrs(lambda t, b: wrong(t, b, 20), base, steps)
    else:
        ours = S.schedule_lrs(wrong, base, steps)
    result = S.compare_lrs(ours, S.torch_lrs(make_torch, base, steps))
    assert not result
    assert result.first_mismatch is not None and "first mismatch" in str(result)


def test_comparison_rejects_length_and_nan():
    assert not S.compare_lrs([1.0, 0.5], [1.0, 0.5, 0.25])
    assert not S.compare_lrs([1.0, float("nan")], [1.0, 0.5])
    assert S.compare_lrs([1.0, 0.0], [1.0, 1e-20])
    assert not S.compare_lrs([1.0, 0.5], [1.0, 0.5 * (1 + 1e-10)])


def test_torch_lrs_steps_scheduler_after_optimizer_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrs = S.torch_lrs(lambda opt: L.StepLR(opt, 2, 0.5), 1.0, 6)
    assert list(lrs) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


# --------------------------------------------------------------------------------------------
# LambdaLR bridge and the factory
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, params, make_torch",
    [
        ("cosine", {"T_max": 30, "eta_min": 0.001}, lambda opt: L.CosineAnnealingLR(opt, 30, 0.001)),
        ("one_cycle", {"total_steps": 40}, lambda opt: L.OneCycleLR(opt, 0.2, total_steps=40, cycle_momentum=False)),
        ("step", {"step_size": 7, "gamma": 0.3}, lambda opt: L.StepLR(opt, 7, 0.3)),
        ("polynomial", {"total_iters": 25, "power": 2.0}, lambda opt: L.PolynomialLR(opt, 25, 2.0)),
    ],
)
def test_as_lambda_lr_follows_the_schedule(name, params, make_torch):
    base = 0.2
    via_lambda = S.torch_lrs(lambda opt: S.as_lambda_lr(opt, name, **params), base, 40)
    assert S.compare_lrs(via_lambda, S.torch_lrs(make_torch, base, 40))
    fn = S.get_schedule(name, **params)
    assert S.compare_lrs(via_lambda, S.schedule_lrs(fn, base, 40))


def test_as_lambda_lr_per_group_base_lr():
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [a], "lr": 1.0}, {"params": [b], "lr": 0.01}])
    sched = S.as_lambda_lr(opt, S.exponential, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.125, 0.00125], rel=1e-14)


def test_get_schedule_errors_name_the_problem():
    with pytest.raises(ValueError, match="known schedules: constant, step, inverse_time"):
        S.get_schedule("cosine_annealing")
    with pytest.raises(ValueError, match="unknown parameter"):
        S.get_schedule("cosine", T=10)
    with pytest.raises(ValueError, match="needs the parameter"):
        S.get_schedule("step")
    with pytest.raises(ValueError, match="gamma must be in"):
        S.get_schedule("exponential", gamma=1.5)
    assert set(S.SCHEDULES) >= {"step", "inverse_time", "exponential", "cosine", "cosine_warm_restarts",
                                "warmup_cosine", "one_cycle", "polynomial"}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: S.cosine(-1, 0.1, 10), "step must be >= 0"),
        (lambda: S.cosine(1.5, 0.1, 10), "step must be an integer"),
        (lambda: S.cosine(1, 0.0, 10), "base_lr must be"),
        (lambda: S.cosine(1, 0.1, 0), "T_max must be an integer >= 1"),
        (lambda: S.cosine(1, 0.1, 10, eta_min=0.2), "eta_min must be in"),
        (lambda: S.step_decay(1, 0.1, 0), "step_size"),
        (lambda: S.cosine_warm_restarts(1, 0.1, 5, T_mult=0), "T_mult"),
        (lambda: S.warmup_cosine(1, 0.1, 10, 10), "total_steps must be an integer >= 11"),
        (lambda: S.one_cycle(0, 0.1, 10, pct_start=0.1), "pct_start \\* total_steps must be > 1"),
        (lambda: S.one_cycle(0, 0.1, 10, pct_start=1.0), "pct_start must be in"),
        (lambda: S.polynomial(1, 0.1, 5, power=0.0), "power must be in"),
        (lambda: S.inverse_time(1, 0.1, -0.1), "k must be in"),
    ],
)
def test_bad_parameters_raise_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@given(t=st.integers(0, 500), T_0=st.integers(1, 10), T_mult=st.integers(1, 3))
@fast
def test_warm_restarts_restart_at_cycle_boundaries(t, T_0, T_mult):
    """eta = eta_0 exactly at every restart t = T_0 (1 + T_mult + ... + T_mult^(i-1))."""
    boundaries, start, length = {0}, 0, T_0
    while start <= t:
        start += length
        length *= T_mult
        boundaries.add(start)
    value = S.cosine_warm_restarts(t, 1.0, T_0, T_mult)
    assert (value == 1.0) == (t in boundaries)


# --------------------------------------------------------------------------------------------
# The notebook's checkers, fed right and wrong answers
# --------------------------------------------------------------------------------------------


def test_check_warmup_cosine_passes_the_reference_and_names_mistakes():
    """The student's function takes the update index t (from 1): eta_t = warmup_cosine(t - 1)."""
    assert check_warmup_cosine(lambda t, b, w, T, s: S.warmup_cosine(t - 1, b, w, T, s)).passed

    def cos(c, b, T):
        return b * (1 + math.cos(math.pi * c / T)) / 2

    def warm(c, b, w, s):
        return b * (s + (1 - s) * c / w)

    wrongs = [  # each written as a student would, in t; c = t - 1 is torch's count
        (lambda t, b, w, T, s: S.warmup_cosine(t, b, w, T, s), "one update ahead"),
        (lambda t, b, w, T, s: warm(t - 1, b, w, s) if t < w else cos(t - 1 - w, b, T - w), "still on the linear ramp"),
        (lambda t, b, w, T, s: warm(t - 1, b, w, s) if t - 1 < w else cos(t - w, b, T - w), "off by one"),
        (lambda t, b, w, T, s: b * (t - 1) / w if t - 1 < w else cos(t - 1 - w, b, T - w), "start_factor"),
        (lambda t, b, w, T, s: warm(t - 1, b, w, s) if t - 1 < w else cos(t - 1 - w, b, T), "not total_steps"),
        (lambda t, b, w, T, s: warm(t - 1, b, w, s) if t - 1 < w else cos(t - 1, b, T - w), "its own clock"),
        (lambda t, b, w, T, s: b * (1 + math.cos(math.pi * t / T)) / 2, "two phases"),
    ]
    for fn, hint in wrongs:
        res = check_warmup_cosine(fn)
        assert not res.passed and hint in res.hint, (hint, res)
        assert "math.cos" not in res.hint and "(t - W)" not in res.hint  # a concept, never the formula


def test_check_step_decay_passes_the_reference_and_names_mistakes():
    def right(t, b, size, gamma):
        return b * gamma ** ((t - 1) // size)

    assert check_step_decay(right, 2).passed
    assert check_step_decay(lambda t, b, size, gamma: S.step_decay(t - 1, b, size, gamma), 2).passed
    wrongs = [
        (lambda t, b, size, gamma: b * gamma ** (t // size), "one update ahead"),
        (lambda t, b, size, gamma: b * gamma ** ((t - 1) // size + 1), "use base_lr itself"),
        (lambda t, b, size, gamma: b * gamma ** ((t - 1) / size), "decays in steps"),
        (lambda t, b, size, gamma: b * gamma ** (t - 1), "exponential decay"),
        (lambda t, b, size, gamma: b * gamma * ((t - 1) // size) if (t - 1) // size else b, "compound"),
        (lambda t, b, size, gamma: b * (1 - (t - 1) / 100), "every step_size updates"),
    ]
    for fn, hint in wrongs:
        res = check_step_decay(fn, 2)
        assert not res.passed and hint in res.hint, (hint, res)
        assert "**" not in res.hint
    for answer, hint in ((71, "StepLR(step_size=70"), (70, "step % 70 == 0"), (1, "after optimizer.step()"),
                         (5, "by hand")):
        res = check_step_decay(right, answer)
        assert not res.passed and hint in res.hint, (answer, res)
    assert check_step_decay(right, None).status == "NOT IMPLEMENTED YET"


def test_check_scheduler_order_catches_the_wrong_order():
    def wrong(model, optimizer, scheduler, loss_fn, batches):
        for xb, yb in batches:
            scheduler.step()
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    def right(model, optimizer, scheduler, loss_fn, batches):
        for xb, yb in batches:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
            scheduler.step()

    def never(model, optimizer, scheduler, loss_fn, batches):
        for xb, yb in batches:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()

    res = check_scheduler_order(wrong)
    assert not res.passed and "before optimizer.step()" in res.hint and "torch warned" in res.hint
    assert not check_scheduler_order(never).passed
    assert check_scheduler_order(right).passed


def test_schedule_checkers_report_stubs():
    def stub(*args):
        raise NotImplementedError

    assert check_warmup_cosine(stub).status == "NOT IMPLEMENTED YET"
    assert check_scheduler_order(stub).status == "NOT IMPLEMENTED YET"
    assert check_step_decay(stub, None).status == "NOT IMPLEMENTED YET"
    assert check_step_decay(stub, 2).status == "NOT IMPLEMENTED YET"
