"""Notebook 02's checkers: the which-trajectory-is-which quiz and the torch config equal to the EMA form."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from course_utils import run_trajectory
from course_utils.checks import (
    MOMENTUM_QUIZ_TRUTH,
    check_ema_torch_config,
    check_momentum_quiz,
    momentum_quiz,
)

NAMES = ("GD", "momentum", "Nesterov")


# --------------------------------------------------------------------------------------------
# The quiz
# --------------------------------------------------------------------------------------------
def test_quiz_runs_are_the_optimizers_the_truth_names():
    land, runs = momentum_quiz()
    assert sorted(runs) == ["A", "B", "C"]
    kw = {"GD": {}, "momentum": {"momentum": 0.85}, "Nesterov": {"momentum": 0.85, "nesterov": True}}
    for letter, name in MOMENTUM_QUIZ_TRUTH.items():
        want = run_trajectory(land, torch.optim.SGD, (-1.6, 1.2), 40, lr=0.03, **kw[name])
        np.testing.assert_array_equal(runs[letter].positions, want.positions)
        assert runs[letter].label == letter  # the figure must not give the answer away


def test_quiz_runs_show_the_features_the_hints_describe():
    _, runs = momentum_quiz()
    by_name = {MOMENTUM_QUIZ_TRUTH[k]: tr for k, tr in runs.items()}
    ups = {n: int(np.sum(np.diff(tr.losses) > 0)) for n, tr in by_name.items()}
    assert ups["GD"] == 0 and ups["momentum"] > 0 and ups["Nesterov"] > 0  # GD's loss falls at every step
    assert by_name["Nesterov"].final_loss < by_name["momentum"].final_loss  # Nesterov ends lower


def test_quiz_accepts_the_right_answer_in_every_spelling():
    assert check_momentum_quiz(dict(MOMENTUM_QUIZ_TRUTH)).passed
    assert check_momentum_quiz({k.lower(): v.upper() for k, v in MOMENTUM_QUIZ_TRUTH.items()}).passed
    ordered = [MOMENTUM_QUIZ_TRUTH[k] for k in "ABC"]
    assert check_momentum_quiz(ordered).passed
    assert check_momentum_quiz(", ".join(ordered)).passed
    assert check_momentum_quiz(" ".join(ordered)).passed
    aliases = {"GD": "gradient descent", "momentum": "heavy ball", "Nesterov": "NAG"}
    assert check_momentum_quiz({k: aliases[v] for k, v in MOMENTUM_QUIZ_TRUTH.items()}).passed


@pytest.mark.parametrize("perm", [p for p in itertools.permutations(NAMES)
                                  if dict(zip("ABC", p, strict=True)) != MOMENTUM_QUIZ_TRUTH])
def test_quiz_rejects_every_wrong_assignment_with_a_hint(perm):
    res = check_momentum_quiz(dict(zip("ABC", perm, strict=True)))
    assert res.status == "FAIL" and res.hint
    gd_wrong = dict(zip("ABC", perm, strict=True))[
        next(k for k, v in MOMENTUM_QUIZ_TRUTH.items() if v == "GD")] != "GD"
    assert ("GD has no memory" in res.hint) == gd_wrong


def test_quiz_stub_and_malformed_answers():
    assert check_momentum_quiz(None).status == "NOT IMPLEMENTED YET"
    assert check_momentum_quiz({"A": "GD", "B": "GD", "C": "Nesterov"}).status == "FAIL"
    res = check_momentum_quiz({"A": "Adam", "B": "GD", "C": "Nesterov"})
    assert res.status == "FAIL" and "Adam" in res.message
    assert check_momentum_quiz({"A": "GD", "B": "momentum"}).status == "FAIL"


# --------------------------------------------------------------------------------------------
# A torch config equal to the EMA form
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("eta, beta", [(0.1, 0.9), (0.05, 0.5), (0.2, 0.99)])
def test_ema_config_passes_for_lr_eta_times_one_minus_beta(eta, beta):
    assert check_ema_torch_config({"lr": eta * (1 - beta), "momentum": beta}, eta, beta).passed


@pytest.mark.parametrize("config, hint", [
    ({"lr": 0.1, "momentum": 0.9, "dampening": 0.9}, "b_1 = g_1"),
    ({"lr": 0.1, "momentum": 0.9}, "without the average's factor"),
    ({"lr": 0.01, "momentum": 0.8}, "same rate"),
    ({"lr": 0.01, "momentum": 0.9, "nesterov": True}, "no look-ahead"),
    ({"lr": 0.01, "momentum": 0.9, "dampening": 0.5}, "use dampening = 0"),
    ({"lr": 0.02, "momentum": 0.9}, "which lr"),
])
def test_ema_config_rejects_wrong_settings_with_their_hint(config, hint):
    res = check_ema_torch_config(config, 0.1, 0.9)
    assert res.status == "FAIL" and hint in res.hint


def test_ema_config_dampened_first_step_is_the_parting_point():
    res = check_ema_torch_config({"lr": 0.1, "momentum": 0.9, "dampening": 0.9})
    assert "part at step 1" in res.message


def test_ema_config_stub_and_bad_input():
    assert check_ema_torch_config(None).status == "NOT IMPLEMENTED YET"
    assert check_ema_torch_config([0.01, 0.9]).status == "FAIL"
    assert check_ema_torch_config({"lr": 0.01, "momentum": 0.9, "typo": 1}).status == "ERROR"


def test_the_averaging_form_takes_its_gradient_from_a_closure():
    """The check runs its EMA reference through run_trajectory, which hands the step a closure."""
    from course_utils import quadratic
    from course_utils.checks.nb02_momentum import _EMAMomentum

    land, eta, beta = quadratic((1.0, 10.0), angle=0.5), 0.1, 0.9
    tr = run_trajectory(land, lambda ps: _EMAMomentum(ps, eta, beta), (-1.5, 1.0), 5)
    m, theta = np.zeros(2), np.array([-1.5, 1.0])
    for t in range(1, 6):
        w = torch.tensor(theta, requires_grad=True)
        land(w[0], w[1]).backward()
        m = beta * m + (1 - beta) * w.grad.numpy()
        theta = theta - eta * m
        np.testing.assert_allclose(tr.positions[t], theta, rtol=1e-12)
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    opt = _EMAMomentum([w], eta, beta)

    def closure():
        opt.zero_grad()
        loss = land(w[0], w[1])
        loss.backward()
        return loss

    expected = float(land(torch.tensor(1.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64)))
    assert float(opt.step(closure)) == expected
