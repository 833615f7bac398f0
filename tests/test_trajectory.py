"""run_trajectory records each loss at its own point, and runs any optimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from course_utils import GD, SGD, Adam, pathological, quadratic, rosenbrock, run_trajectory


def test_each_loss_is_the_loss_at_its_own_point():
    tr = run_trajectory(pathological, GD, [-4.0, 5.0], 40, lr=1.0)
    truth = pathological(torch.as_tensor(tr.positions[:, 0]), torch.as_tensor(tr.positions[:, 1])).numpy()
    assert len(tr.positions) == len(tr.losses) == 41
    np.testing.assert_allclose(tr.losses, truth, rtol=0, atol=0)
    # the seed's logger (loss of the previous point) would not pass this:
    assert not np.allclose(tr.losses[1:], truth[:-1])


def test_gd_on_quadratic_follows_the_closed_form():
    lam, eta, steps = (1.0, 4.0), 0.1, 25
    tr = run_trajectory(quadratic(lam), GD, [1.0, -2.0], steps, lr=eta)
    t = np.arange(steps + 1)
    np.testing.assert_allclose(tr.positions[:, 0], 1.0 * (1 - eta * lam[0]) ** t, rtol=1e-12)
    np.testing.assert_allclose(tr.positions[:, 1], -2.0 * (1 - eta * lam[1]) ** t, rtol=1e-12)


def test_same_path_for_our_and_torch_optimizers():
    a = run_trajectory(rosenbrock(), Adam, [-1.0, 2.0], 50, lr=0.05)
    b = run_trajectory(rosenbrock(), torch.optim.Adam, [-1.0, 2.0], 50, lr=0.05)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.label == "Adam (lr=0.05)"


def test_lbfgs_runs_with_a_closure():
    tr = run_trajectory(rosenbrock(), torch.optim.LBFGS, [-1.0, 2.0], 20, lr=1.0, max_iter=5,
                        line_search_fn="strong_wolfe")
    assert tr.final_loss < 1e-6


def test_divergence_stops_early():
    tr = run_trajectory(quadratic((1.0, 10.0)), GD, [1.0, 1.0], 1000, lr=0.5)
    assert tr.diverged and len(tr) < 1001
    ok = run_trajectory(quadratic((1.0, 10.0)), GD, [1.0, 1.0], 100, lr=0.19)
    assert not ok.diverged and len(ok) == 101 and math.isfinite(ok.final_loss)


def test_scheduler_factory_is_stepped():
    lrs = []

    def sched(opt):
        s = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        orig = s.step

        def step():
            orig()
            lrs.append(opt.param_groups[0]["lr"])

        s.step = step
        return s

    run_trajectory(quadratic(), SGD, [1.0, 1.0], 6, lr=0.1, scheduler=sched)
    assert lrs == pytest.approx([0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])


@pytest.mark.parametrize("kwargs", [{"steps": -1}, {"start": [1.0]}])
def test_bad_arguments(kwargs):
    args = {"start": [1.0, 1.0], "steps": 3} | kwargs
    with pytest.raises(ValueError):
        run_trajectory(quadratic(), GD, args["start"], args["steps"], lr=0.1)


def test_record_state_and_lrs_equal_a_hand_written_loop():
    """What notebook 03 recorded by hand: the state buffer after every step and the lr it used."""
    from course_utils import Adagrad

    land, start, steps = quadratic((1.0, 10.0), angle=0.3), (1.5, -1.0), 12

    def sched(opt):
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

    tr = run_trajectory(land, Adagrad, start, steps, lr=0.3, scheduler=sched, record_state=["sum"])
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = Adagrad([w], lr=0.3)
    s = sched(opt)
    sums, lrs = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        land(w[0], w[1]).backward()
        opt.step()
        s.step()
        sums.append(opt.state[w]["sum"].clone())
    assert tr.states["sum"].shape == (steps, 2)
    np.testing.assert_array_equal(tr.states["sum"], torch.stack(sums).numpy())
    np.testing.assert_array_equal(tr.lrs, lrs)
    assert tr.lrs[0] == 0.3 and tr.lrs[-1] == pytest.approx(0.3 * 0.9 ** (steps - 1))
    one = run_trajectory(land, Adagrad, start, 3, lr=0.3, record_state="sum")
    np.testing.assert_array_equal(one.states["sum"], run_trajectory(land, Adagrad, start, 3, lr=0.3,
                                                                     record_state=("sum",)).states["sum"])
    assert run_trajectory(land, GD, start, 3, lr=0.1).states == {}


def test_record_state_names_a_missing_buffer():
    with pytest.raises(ValueError, match="no 'sum'.*exp_avg"):
        run_trajectory(quadratic(), Adam, [1.0, 1.0], 2, lr=0.1, record_state="sum")


def test_max_path_difference():
    from course_utils.trajectory import max_path_difference

    a = run_trajectory(quadratic(), GD, [1.0, 1.0], 5, lr=0.1)
    b = run_trajectory(quadratic(), SGD, [1.0, 1.0], 5, lr=0.1)
    assert max_path_difference(a, a) == 0.0
    c = run_trajectory(quadratic(), GD, [1.0, 1.25], 5, lr=0.1)
    assert max_path_difference(a, c) == pytest.approx(0.25)  # the start differs most
    assert max_path_difference(a, b) <= 1e-15
    with pytest.raises(ValueError, match="different lengths"):
        max_path_difference(a, run_trajectory(quadratic(), GD, [1.0, 1.0], 4, lr=0.1))
