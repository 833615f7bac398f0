"""Tests for notebook 10's checkers: each is fed the right answer, a stub, and every named mistake,
and each mistake must be caught with its own hint."""

import math

import pytest
import torch
from torch import nn

from course_utils.checks import check_clip_grad_norm, check_init_fix, check_kaiming_init

TODO = "NOT IMPLEMENTED YET"


# ---------------------------------------------------------------------------------------------
# check_kaiming_init
# ---------------------------------------------------------------------------------------------
def kaiming(weight, negative_slope=0.0):
    fan_out, fan_in = weight.shape
    with torch.no_grad():
        return weight.normal_(0.0, math.sqrt(2.0 / ((1 + negative_slope**2) * fan_in)))


def kaiming_with(variance):
    """An initializer with the variance formula ``variance(fan_in, fan_out, a)``."""

    def init(weight, negative_slope=0.0):
        fan_out, fan_in = weight.shape
        with torch.no_grad():
            weight.normal_(0.0, math.sqrt(variance(fan_in, fan_out, negative_slope)))

    return init


def test_kaiming_right_answer_and_torch_pass():
    assert check_kaiming_init(kaiming).passed

    def via_torch(weight, negative_slope=0.0):
        return nn.init.kaiming_normal_(weight, a=negative_slope, nonlinearity="leaky_relu")

    assert check_kaiming_init(via_torch).passed


def test_kaiming_stub_is_todo():
    def stub(weight, negative_slope=0.0):
        raise NotImplementedError

    assert check_kaiming_init(stub).status == TODO


@pytest.mark.parametrize(
    ("variance", "words"),
    [
        (lambda fi, fo, a: 2 / ((1 + a**2) * (fi + fo)), "fan average"),  # Xavier's
        (lambda fi, fo, a: 1 / ((1 + a**2) * fi), "factor 2 is missing"),
        (lambda fi, fo, a: 2 / ((1 + a**2) * fo), "weight.shape[1]"),  # fan_out in the forward pass
        (lambda fi, fo, a: 4 / ((1 + a**2) * fi), "twice too large"),  # std = 2 / sqrt(fan_in)
        (lambda fi, fo, a: 4 / ((1 + a**2) * fi) ** 2, "take its square root"),  # std = 2 / fan_in
        (lambda fi, fo, a: 2 / fi, "negative_slope is ignored"),
        (lambda fi, fo, a: 2 / ((1 - a**2) * fi), "adds variance"),
        (lambda fi, fo, a: 2 / ((1 + a) * fi), "enters squared"),
    ],
)
def test_kaiming_mistakes_are_named(variance, words):
    result = check_kaiming_init(kaiming_with(variance))
    assert not result.passed
    assert words in result.hint, result


def test_kaiming_uniform_is_not_the_normal_version():
    def uniform(weight, negative_slope=0.0):
        fan_out, fan_in = weight.shape
        bound = math.sqrt(3 * 2 / ((1 + negative_slope**2) * fan_in))
        with torch.no_grad():
            weight.uniform_(-bound, bound)

    result = check_kaiming_init(uniform)
    assert not result.passed and "normal" in result.hint


def test_kaiming_not_in_place():
    def copy(weight, negative_slope=0.0):
        return torch.randn_like(weight) * math.sqrt(2 / weight.shape[1])

    result = check_kaiming_init(copy)
    assert not result.passed and "in place" in result.hint


def test_kaiming_without_no_grad_on_a_parameter():
    def no_guard(weight, negative_slope=0.0):
        weight.normal_(0.0, math.sqrt(2.0 / ((1 + negative_slope**2) * weight.shape[1])))

    result = check_kaiming_init(no_guard)
    assert not result.passed and "no_grad" in result.hint


def test_kaiming_crash_is_an_error_not_a_crash():
    def broken(weight, negative_slope=0.0):
        raise KeyError("oops")

    assert check_kaiming_init(broken).status == "ERROR"


# ---------------------------------------------------------------------------------------------
# check_clip_grad_norm
# ---------------------------------------------------------------------------------------------
def _grads(parameters):
    return [p.grad for p in parameters if p.grad is not None]


def _norm(grads, norm_type):
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type)


def clip(parameters, max_norm, norm_type=2.0, eps=1e-6):
    grads = _grads(parameters)
    total = _norm(grads, norm_type)
    coef = max_norm / (total + eps)
    if coef < 1:
        for g in grads:
            g.mul_(coef)
    return total


def test_clip_right_answer_and_torch_pass():
    assert check_clip_grad_norm(clip).passed
    assert check_clip_grad_norm(torch.nn.utils.clip_grad_norm_).passed


def test_clip_stub_is_todo():
    def stub(parameters, max_norm, norm_type=2.0, eps=1e-6):
        raise NotImplementedError

    assert check_clip_grad_norm(stub).status == TODO


def test_clip_per_tensor():
    def per_tensor(parameters, max_norm, norm_type=2.0, eps=1e-6):
        grads = _grads(parameters)
        for g in grads:
            g.mul_(min(1.0, max_norm / (float(torch.linalg.vector_norm(g, norm_type)) + eps)))
        return _norm(grads, norm_type)

    result = check_clip_grad_norm(per_tensor)
    assert not result.passed and "its own norm" in result.hint


def test_clip_not_in_place():
    def copies(parameters, max_norm, norm_type=2.0, eps=1e-6):
        grads = _grads(parameters)
        total = _norm(grads, norm_type)
        coef = min(1.0, max_norm / (float(total) + eps))
        _ = [g * coef for g in grads]  # new tensors, p.grad untouched
        return total

    result = check_clip_grad_norm(copies)
    assert not result.passed and "in place" in result.hint


def test_clip_below_threshold():
    def always(parameters, max_norm, norm_type=2.0, eps=1e-6):
        grads = _grads(parameters)
        total = _norm(grads, norm_type)
        for g in grads:
            g.mul_(max_norm / (total + eps))
        return total

    result = check_clip_grad_norm(always)
    assert not result.passed and "below max_norm" in result.hint


def test_clip_missing_eps():
    def no_eps(parameters, max_norm, norm_type=2.0, eps=1e-6):
        grads = _grads(parameters)
        total = _norm(grads, norm_type)
        coef = max_norm / total
        if coef < 1:
            for g in grads:
                g.mul_(coef)
        return total

    result = check_clip_grad_norm(no_eps)
    assert not result.passed and "eps is missing" in result.hint


def test_clip_none_grads():
    def chokes(parameters, max_norm, norm_type=2.0, eps=1e-6):
        grads = [p.grad for p in parameters]
        total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]))
        return total

    result = check_clip_grad_norm(chokes)
    assert not result.passed and "p.grad None" in result.hint


def test_clip_returns_the_norm_after_clipping():
    def after(parameters, max_norm, norm_type=2.0, eps=1e-6):
        clip(parameters, max_norm, norm_type, eps)
        return _norm(_grads(parameters), norm_type)

    result = check_clip_grad_norm(after)
    assert not result.passed and "before" in result.hint


def test_clip_returns_nothing():
    def silent(parameters, max_norm, norm_type=2.0, eps=1e-6):
        clip(parameters, max_norm, norm_type, eps)

    result = check_clip_grad_norm(silent)
    assert not result.passed and "return" in result.hint


def test_clip_ignores_norm_type():
    def two_norm_only(parameters, max_norm, norm_type=2.0, eps=1e-6):
        return clip(parameters, max_norm, 2.0, eps)

    result = check_clip_grad_norm(two_norm_only)
    assert not result.passed and "inf" in result.hint


# ---------------------------------------------------------------------------------------------
# check_init_fix
# ---------------------------------------------------------------------------------------------
def init_with(std_of, bias_zero=True, reseed=False, layers=None):
    def init(model):
        for i, m in enumerate(m for m in model.modules() if isinstance(m, nn.Linear)):
            if layers is not None and i not in layers:
                continue
            if reseed:
                torch.manual_seed(0)
            fan_out, fan_in = m.weight.shape
            with torch.no_grad():
                m.weight.normal_(0.0, std_of(fan_in, fan_out))
                if bias_zero:
                    m.bias.zero_()

    return init


def test_init_fix_right_answer_passes():
    assert check_init_fix(init_with(lambda fi, fo: math.sqrt(2 / fi))).passed

    def via_torch(model):
        for m in model.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    assert check_init_fix(via_torch).passed


def test_init_fix_stub_is_todo():
    def stub(model):
        raise NotImplementedError

    assert check_init_fix(stub).status == TODO


@pytest.mark.parametrize(
    ("init", "words"),
    [
        (init_with(lambda fi, fo: 2 / math.sqrt(fi)), "twice too large"),  # the notebook's bug, unfixed
        (init_with(lambda fi, fo: math.sqrt(2 / fo)), "weight.shape[1]"),
        (init_with(lambda fi, fo: math.sqrt(2 / (fi + fo))), "fan average"),
        (init_with(lambda fi, fo: math.sqrt(1 / fi)), "factor 2 is missing"),
        (init_with(lambda fi, fo: math.sqrt(2 / fi), bias_zero=False), "non-zero bias"),
        (init_with(lambda fi, fo: math.sqrt(2 / fi), reseed=True), "same weights"),
        (init_with(lambda fi, fo: math.sqrt(2 / fi), layers={0, 1, 2}), "every nn.Linear"),
    ],
)
def test_init_fix_mistakes_are_named(init, words):
    result = check_init_fix(init)
    assert not result.passed
    assert words in result.hint or words in result.message, result
