"""Notebook 11's checkers: the right answer passes, each named mistake gets its own hint, stubs and
crashes are reported without raising."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from course_utils.checks.core import DETAIL_AFTER, reset_attempts
from course_utils.checks.nb11_capstone import (
    check_param_groups,
    check_training_loop,
    check_warmup_cosine_factor,
    param_kind,
    reference_loop,
)
from course_utils.transformer import CharTransformer, TransformerConfig, lm_loss

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


# ---------------------------------------------------------------------------------------------
# Exercise 1: parameter groups
# ---------------------------------------------------------------------------------------------
def groups_by(rule, explicit_zero=True):
    def fn(model, wd):
        decay, rest = [], []
        for name, p in model.named_parameters():
            (decay if rule(model, name, p) else rest).append(p)
        no = {"params": rest, "weight_decay": 0.0} if explicit_zero else {"params": rest}
        return [{"params": decay, "weight_decay": wd}, no]
    return fn


right = groups_by(lambda m, n, p: isinstance(m.get_submodule(n.rpartition(".")[0]), nn.Linear) and n.endswith("weight"))


def test_param_kind():
    model = CharTransformer(TransformerConfig(vocab_size=5, context=4, d_model=4, n_heads=1, n_layers=1))
    kinds = {n: param_kind(model, n) for n, _ in model.named_parameters()}
    assert kinds["tok_emb.weight"] == kinds["pos_emb.weight"] == "embedding"
    assert kinds["blocks.0.ln1.weight"] == kinds["ln_f.bias"] == "norm"
    assert kinds["blocks.0.attn.qkv.bias"] == "bias"
    assert kinds["blocks.0.mlp.2.weight"] == kinds["head.weight"] == "matrix"


def test_param_groups_right_answer_passes():
    r = check_param_groups(right)
    assert r.passed, r
    # the other usual way of writing it: by name
    by_name = groups_by(lambda m, n, p: p.ndim == 2 and "emb" not in n)
    assert check_param_groups(by_name).passed


@pytest.mark.parametrize("rule, words", [
    (lambda m, n, p: True, "every parameter is decayed"),
    (lambda m, n, p: p.ndim >= 2, "embedding"),
    (lambda m, n, p: p.ndim >= 2 and "emb" not in n or "ln" in n, "LayerNorm gain"),
    (lambda m, n, p: p.ndim >= 2 and "emb" not in n or n.endswith("bias") and "ln" not in n, "a bias is decayed"),
    (lambda m, n, p: p.ndim == 2 and "emb" not in n and "head" not in n, "head.weight"),
    (lambda m, n, p: p.ndim == 2 and "attn" in n, "every weight of an nn.Linear"),
])
def test_param_groups_each_mistake_has_its_hint(rule, words):
    r = check_param_groups(groups_by(rule))
    assert r.status == "FAIL"
    assert words in r.hint, r


def test_param_groups_default_weight_decay_is_not_zero():
    r = check_param_groups(groups_by(lambda m, n, p: p.ndim == 2 and "emb" not in n, explicit_zero=False))
    assert r.status == "FAIL" and "default, 0.01" in r.hint


def test_param_groups_wrong_value_missing_and_duplicate():
    def wrong_value(model, wd):
        return [{"params": g["params"], "weight_decay": (0.5 if g["weight_decay"] else 0.0)} for g in right(model, wd)]
    assert "weight_decay passed in" in check_param_groups(wrong_value).hint

    def missing(model, wd):
        g = right(model, wd)
        g[1]["params"] = g[1]["params"][1:]
        return g
    r = check_param_groups(missing)
    assert r.status == "FAIL" and "exactly one group" in r.hint

    def duplicate(model, wd):
        g = right(model, wd)
        g[1]["params"] = g[1]["params"] + g[0]["params"][:1]
        return g
    assert "two groups" in check_param_groups(duplicate).hint

    assert check_param_groups(lambda model, wd: [1, 2]).status == "FAIL"


def test_param_groups_stub_and_crash():
    def stub(model, wd):
        raise NotImplementedError
    assert check_param_groups(stub).status == "NOT IMPLEMENTED YET"
    assert check_param_groups(lambda model, wd: None).status == "NOT IMPLEMENTED YET"
    assert check_param_groups(lambda model, wd: 1 / 0).status == "ERROR"


# ---------------------------------------------------------------------------------------------
# Exercise 2: the warmup-cosine factor
# ---------------------------------------------------------------------------------------------
def right_factor(t, w, total, s, m):
    if t < w:
        return s + (1 - s) * t / w
    return m + (1 - m) * (1 + math.cos(math.pi * (t - w) / (total - w))) / 2


def test_factor_right_answer_passes():
    assert check_warmup_cosine_factor(right_factor).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda t, w, T, s, m: right_factor(t, w, T, s, 0.0), "ends at 0"),
    (lambda t, w, T, s, m: right_factor(t, w, T, s, 0.0) if t < w else max(m, right_factor(t, w, T, s, 0.0)), "max(...)"),
    (lambda t, w, T, s, m: right_factor(t, w, T, s, m) if t < w else m + right_factor(t, w, T, s, 0.0), "not scaled"),
    (lambda t, w, T, s, m: s + (1 - s) * min(t / (w - 1), 1) if t < w else right_factor(t, w, T, s, m), "one step earlier"),
    (lambda t, w, T, s, m: t / w if t < w else right_factor(t, w, T, s, m), "starts at start_factor"),
    (lambda t, w, T, s, m: right_factor(t, w, T, s, m) if t < w else right_factor(t + w, w, T, s, m), "restarts its clock"),
    (lambda t, w, T, s, m: right_factor(t, w, T, s, m) if t < w else right_factor(t, w, T + w, s, m), "not total_steps"),
    (lambda t, w, T, s, m: right_factor(t, w, T, s, m) if t < w else right_factor(t + 1, w, T, s, m), "off by one"),
])
def test_factor_each_mistake_has_its_hint(wrong, words):
    r = check_warmup_cosine_factor(wrong)
    assert r.status == "FAIL"
    assert words in r.hint, r


def test_factor_other_wrong_answer_escalates_and_stub():
    reset_attempts()
    tries = [check_warmup_cosine_factor(lambda t, w, T, s, m: 1.0) for _ in range(DETAIL_AFTER)]
    assert all(r.status == "FAIL" and "a factor" in r.hint and "step < W" in r.detail for r in tries)
    assert "step < W" not in repr(tries[0]) and "step < W" in repr(tries[-1])  # the formula comes late

    def stub(t, w, T, s, m):
        raise NotImplementedError
    assert check_warmup_cosine_factor(stub).status == "NOT IMPLEMENTED YET"


# ---------------------------------------------------------------------------------------------
# Exercise 3: the training loop
# ---------------------------------------------------------------------------------------------
def right_loop(model, optimizer, scheduler, batches, max_norm):
    for x, y in batches:
        optimizer.zero_grad()
        loss = lm_loss(model, x, y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        scheduler.step()


def loop_with(**where):
    return lambda model, opt, sch, batches, max_norm: reference_loop(model, opt, sch, batches, max_norm, **where)


def test_loop_right_answers_pass():
    assert check_training_loop(right_loop).passed

    def zero_grad_last(model, optimizer, scheduler, batches, max_norm):  # equivalent ordering
        for x, y in batches:
            loss = lm_loss(model, x, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    assert check_training_loop(zero_grad_last).passed


@pytest.mark.parametrize("where, words", [
    ({"zero": "once, before the loop"}, "gradients accumulate"),
    ({"zero": "between backward and step"}, "erased before optimizer.step()"),
    ({"clip": "before backward"}, "not clipped"),
    ({"clip": "never"}, "not clipped"),
    ({"sched": "before the optimizer"}, "before optimizer.step()"),
    ({"sched": "never"}, "never changes"),
])
def test_loop_each_mistake_has_its_hint(where, words):
    r = check_training_loop(loop_with(**where))
    assert r.status == "FAIL"
    assert words in r.hint, r
    assert r.message.startswith("1 thing")


def test_loop_the_exercise_bugs_together():
    """The loop shown in the notebook: zero_grad once, clip before backward, scheduler first."""
    r = check_training_loop(loop_with(zero="once, before the loop", clip="before backward", sched="before the optimizer"))
    assert r.status == "FAIL" and r.message.startswith("3 things")
    assert "accumulate" in r.hint and "clip_grad_norm_ runs before" in r.hint and "before optimizer.step()" in r.hint
    two = check_training_loop(loop_with(clip="before backward", sched="before the optimizer"))
    assert two.message.startswith("2 things")


def test_loop_unknown_no_step_stub_and_crash():
    def no_step(model, optimizer, scheduler, batches, max_norm):
        for x, y in batches:
            lm_loss(model, x, y).backward()
    assert "ran 0 times" in check_training_loop(no_step).message

    def doubled(model, optimizer, scheduler, batches, max_norm):
        right_loop(model, optimizer, scheduler, batches + batches, max_norm)
    assert "ran 10 times" in check_training_loop(doubled).message

    def bigger_clip(model, optimizer, scheduler, batches, max_norm):
        right_loop(model, optimizer, scheduler, batches, 2 * max_norm)
    reset_attempts()
    tries = [check_training_loop(bigger_clip) for _ in range(DETAIL_AFTER)]
    assert "no known ordering" in tries[0].message and "loss.backward()" not in tries[0].hint
    assert "loss.backward()" not in repr(tries[0]) and "loss.backward()" in repr(tries[-1])  # the order comes late

    def stub(*args):
        raise NotImplementedError
    assert check_training_loop(stub).status == "NOT IMPLEMENTED YET"
    assert check_training_loop(lambda *a: 1 / 0).status == "ERROR"
