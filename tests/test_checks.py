"""The exercise checkers of notebooks 00 and 01 pass right answers, catch wrong ones with the
right hint, and report stubs and crashes without raising."""

from __future__ import annotations

import torch

from course_utils import (
    GD,
    check_bias_steps,
    check_critical_lr,
    check_ewma,
    check_ewma_weights,
    check_optimizer,
    check_trajectory_logger,
    check_value,
    ewma,
    ewma_weights,
)
from course_utils.checks import check_bias_fading
from course_utils.optim import OptimizerBase


def test_check_value_pass_fail_hint_and_stub():
    assert check_value("x", 2.0, 2.0).passed
    r = check_value("x", 1.0, 2.0, hints=[(1.0, "half of it")])
    assert r.status == "FAIL" and r.hint == "half of it" and "[FAIL]" in repr(r)
    assert check_value("x", None, 2.0).status == "NOT IMPLEMENTED YET"
    assert "not implemented yet" in repr(check_value("x", None, 2.0))
    assert check_value("x", "abc", 2.0).status == "ERROR"


def test_check_critical_lr():
    assert check_critical_lr(0.2, (1.0, 10.0)).passed
    assert "1/lambda_max" in check_critical_lr(0.1, (1.0, 10.0)).hint
    assert "steepest" in check_critical_lr(2.0, (1.0, 10.0)).hint


def test_check_bias_steps():
    assert check_bias_steps(44, 0.9, 0.01).passed  # 0.9^44 = 0.0097, 0.9^43 = 0.0108
    assert "one step short" in check_bias_steps(43, 0.9, 0.01).hint
    assert "effective window" in check_bias_steps(10, 0.9, 0.01).hint


def test_check_bias_fading():
    assert check_bias_fading(3.0, 44, beta=0.9, tol=0.01).passed
    wrong_limit = check_bias_fading(1.0, 44, beta=0.9, tol=0.01)
    assert wrong_limit.status == "FAIL" and "correction factor" in wrong_limit.hint
    assert "44" not in wrong_limit.hint + wrong_limit.message  # the second answer is not given away
    short = check_bias_fading(3.0, 43, beta=0.9, tol=0.01)
    assert short.status == "FAIL" and "one step short" in short.hint
    assert check_bias_fading(None, None).status == "NOT IMPLEMENTED YET"
    assert check_bias_fading(3.0, None).status == "NOT IMPLEMENTED YET"


def test_check_ewma_right_and_wrong():
    assert check_ewma(lambda x, b, c: ewma(x, b, c)).passed
    no_corr = check_ewma(lambda x, b, c: ewma(x, b, False))
    assert no_corr.status == "FAIL" and "bias correction is missing" in no_corr.hint

    def started_at_first(x, beta, corrected):
        out, v = [], x[0]
        for t in range(1, len(x) + 1):
            v = x[0] if t == 1 else beta * v + (1 - beta) * x[t - 1]
            out.append(v / (1 - beta**t) if corrected else v)
        return torch.stack(out)

    assert "a_0 = 0" in check_ewma(started_at_first).hint

    def swapped(x, beta, corrected):
        return ewma(x, 1 - beta, corrected) if beta != 0 else ewma(x, beta, corrected)

    assert "swapped" in check_ewma(swapped).hint

    def t_from_zero(x, beta, corrected):
        t = torch.arange(0, len(x), dtype=x.dtype)
        return ewma(x, beta) / (1 - beta**t) if corrected else ewma(x, beta)

    assert "t counts from 1" in check_ewma(t_from_zero).hint


def test_check_ewma_stub_and_crash():
    def stub(x, beta, corrected):
        raise NotImplementedError

    assert check_ewma(stub).status == "NOT IMPLEMENTED YET"
    assert check_ewma(lambda x, b, c: 1 / 0).status == "ERROR"


def test_check_ewma_weights():
    assert check_ewma_weights(ewma_weights).passed
    assert "reversed" in check_ewma_weights(lambda t, b: ewma_weights(t, b).flip(0)).hint
    normalized = check_ewma_weights(lambda t, b: ewma_weights(t, b) / ewma_weights(t, b).sum())
    assert "sum to 1" in normalized.hint


def buggy_logger(landscape, optimizer_cls, start, steps, **hp):
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer_cls([w], **hp)
    positions, losses = [w.detach().clone()], [float(landscape.loss(w.detach()))]
    for _ in range(steps):
        opt.zero_grad()
        loss = landscape.loss(w)
        loss.backward()
        opt.step()
        positions.append(w.detach().clone())
        losses.append(float(loss))  # the seed's bug: the loss of the previous point
    return torch.stack(positions), losses


def fixed_logger(landscape, optimizer_cls, start, steps, **hp):
    w = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = optimizer_cls([w], **hp)
    positions, losses = [w.detach().clone()], [float(landscape.loss(w.detach()))]
    for _ in range(steps):
        opt.zero_grad()
        landscape.loss(w).backward()
        opt.step()
        positions.append(w.detach().clone())
        losses.append(float(landscape.loss(w.detach())))
    return torch.stack(positions), losses


def test_check_trajectory_logger():
    assert check_trajectory_logger(fixed_logger).passed
    bad = check_trajectory_logger(buggy_logger)
    assert bad.status == "FAIL" and "which point" in bad.hint


class MyGD(OptimizerBase):
    def update_param(self, p, grad, state, group):
        p -= group["lr"] * grad


class WrongSign(OptimizerBase):
    def update_param(self, p, grad, state, group):
        p += group["lr"] * grad


class Explodes(OptimizerBase):
    def update_param(self, p, grad, state, group):
        p.mul_(float("nan"))


def test_check_optimizer_basic():
    assert check_optimizer(MyGD, torch.optim.SGD, [{"lr": 0.001}]).passed
    assert check_optimizer(GD, torch.optim.SGD, [{"lr": 0.001}]).passed
    r = check_optimizer(WrongSign, torch.optim.SGD, [{"lr": 0.001}])
    assert r.status == "FAIL" and "step 1" in r.message
    r = check_optimizer(WrongSign, torch.optim.SGD, [{"lr": 0.001}],
                        mistakes=[("the sign of the step is flipped", WrongSign)])
    assert r.hint == "the sign of the step is flipped"
    assert "nan" in check_optimizer(Explodes, torch.optim.SGD, [{"lr": 0.001}]).message


def test_check_optimizer_stub_is_todo():
    class Stub(OptimizerBase):
        def update_param(self, p, grad, state, group):
            raise NotImplementedError

    assert check_optimizer(Stub, torch.optim.SGD, [{"lr": 0.001}]).status == "NOT IMPLEMENTED YET"


def test_check_bias_steps_when_the_ratio_is_a_whole_number():
    # 0.5^2 = 0.25 is not below 0.25: the first t with 0.5^t < 0.25 is 3
    assert check_bias_steps(3, 0.5, 0.25).passed
    assert not check_bias_steps(2, 0.5, 0.25).passed
