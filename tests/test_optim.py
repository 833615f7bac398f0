"""The reference optimizers equal torch.optim, option for option, and the template behaves."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import course_utils.optim as O

TORCH = {
    O.SGD: torch.optim.SGD,
    O.Adagrad: torch.optim.Adagrad,
    O.RMSProp: torch.optim.RMSprop,
    O.Adam: torch.optim.Adam,
    O.AdamW: torch.optim.AdamW,
}


def make_problem(seed: int, scale: float):
    """A non-quadratic float64 problem over three parameter tensors of different shapes."""
    gen = torch.Generator().manual_seed(seed)
    A = torch.randn(5, 5, generator=gen, dtype=torch.float64)
    A = A @ A.T / 5 + 0.1 * torch.eye(5, dtype=torch.float64)
    params = [
        torch.randn(5, generator=gen, dtype=torch.float64),
        torch.randn(3, 2, generator=gen, dtype=torch.float64),
        torch.randn(1, generator=gen, dtype=torch.float64),
    ]

    def loss(ps):
        a, b, c = ps
        return scale * (0.5 * a @ A @ a + torch.sin(b).sum() + (b**2).sum() + c.square().sum() + 0.3 * torch.tanh(c).sum() * a.sum()
                        + torch.log1p(torch.exp(-b.sum())))

    return params, loss


def run(opt_factory, config, seed=0, scale=1.0, steps=100):
    init, loss_fn = make_problem(seed, scale)
    params = [p.clone().requires_grad_() for p in init]
    opt = opt_factory(params, **config)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
    return torch.cat([p.detach().flatten() for p in params])


def assert_same_as_torch(ours, config, seed=0, scale=1.0, steps=100):
    theirs = TORCH[ours]
    a = run(ours, config, seed, scale, steps)
    b = run(lambda ps, **kw: theirs(ps, foreach=False, **kw), config, seed, scale, steps)
    assert torch.isfinite(b).all()
    err = (a - b).abs().max().item()
    assert err <= 1e-10, f"{ours.__name__} {config}: max |diff| = {err}"


# -- hand-picked cases where a subtle mistake shows ------------------------------------------
HARD_CASES = [
    (O.SGD, {"lr": 0.05}),
    (O.SGD, {"lr": 0.02, "momentum": 0.9}),
    (O.SGD, {"lr": 0.02, "momentum": 0.9, "dampening": 0.5}),  # the first buffer is g, undampened
    (O.SGD, {"lr": 0.02, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    (O.SGD, {"lr": 0.02, "momentum": 0.5, "dampening": 0.9, "weight_decay": 1.0}),
    (O.Adagrad, {"lr": 0.1}),
    (O.Adagrad, {"lr": 0.3, "lr_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-3, "weight_decay": 0.2}),
    (O.RMSProp, {"lr": 0.01}),
    (O.RMSProp, {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.7, "weight_decay": 0.1, "eps": 1e-4}),
    (O.Adam, {"lr": 0.01}),
    (O.Adam, {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3, "amsgrad": True, "weight_decay": 0.3}),
    (O.AdamW, {"lr": 0.01, "weight_decay": 5.0}),  # large decay: the decay order matters
    (O.AdamW, {"lr": 0.03, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 2.0}),
]


@pytest.mark.parametrize("ours,config", HARD_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("scale", [1.0, 1e-9], ids=["scale=1", "tiny-loss-scale"])
def test_matches_torch(ours, config, scale):
    # With a tiny loss scale the gradients are ~1e-9, comparable to eps: eps inside the square
    # root, or eps added before the bias correction, would give a visibly different path.
    assert_same_as_torch(ours, config, scale=scale)


def test_tiny_scale_really_exercises_eps():
    """Guard for the test above: moving eps inside the sqrt changes the path by far more than 1e-10."""

    class EpsInside(O.Adam):
        def update_param(self, p, grad, state, group):
            lr, (b1, b2), eps = group["lr"], group["betas"], group["eps"]
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            m.mul_(b1).add_(grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            p.sub_(lr * m_hat / torch.sqrt(v_hat + eps))

    a = run(EpsInside, {"lr": 0.01, "eps": 1e-8}, scale=1e-9)
    b = run(lambda ps, **kw: torch.optim.Adam(ps, foreach=False, **kw), {"lr": 0.01, "eps": 1e-8}, scale=1e-9)
    assert (a - b).abs().max().item() > 1e-4


# -- randomized options ------------------------------------------------------------------------
unit = st.floats(0.0, 0.99)
lr = st.floats(1e-4, 0.05)
decay = st.sampled_from([0.0, 1e-3, 0.1, 1.0])
scales = st.sampled_from([1.0, 1e-6])
seeds = st.integers(0, 1000)
slow = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(lr=lr, mu=unit, damp=unit, wd=decay, nesterov=st.booleans(), seed=seeds, scale=scales)
def test_sgd_random_options(lr, mu, damp, wd, nesterov, seed, scale):
    config = {"lr": lr, "momentum": mu, "dampening": 0.0 if nesterov else damp, "weight_decay": wd,
              "nesterov": nesterov and mu > 0}
    assert_same_as_torch(O.SGD, config, seed=seed, scale=scale)


@slow
@given(lr=lr, lr_decay=st.sampled_from([0.0, 0.01, 0.5]), init=st.sampled_from([0.0, 0.1, 1.0]),
       eps=st.sampled_from([1e-10, 1e-6, 1e-2]), wd=decay, seed=seeds, scale=scales)
def test_adagrad_random_options(lr, lr_decay, init, eps, wd, seed, scale):
    config = {"lr": lr, "lr_decay": lr_decay, "initial_accumulator_value": init, "eps": eps, "weight_decay": wd}
    assert_same_as_torch(O.Adagrad, config, seed=seed, scale=scale)


@slow
@given(lr=lr, alpha=st.floats(0.5, 0.999), eps=st.sampled_from([1e-8, 1e-4]), wd=decay,
       mu=st.sampled_from([0.0, 0.5, 0.9]), centered=st.booleans(), seed=seeds, scale=scales)
def test_rmsprop_random_options(lr, alpha, eps, wd, mu, centered, seed, scale):
    config = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": wd, "momentum": mu, "centered": centered}
    assert_same_as_torch(O.RMSProp, config, seed=seed, scale=scale)


@slow
@given(lr=lr, b1=unit, b2=st.floats(0.5, 0.9999), eps=st.sampled_from([1e-8, 1e-4]), wd=decay,
       amsgrad=st.booleans(), decoupled=st.booleans(), seed=seeds, scale=scales)
def test_adam_and_adamw_random_options(lr, b1, b2, eps, wd, amsgrad, decoupled, seed, scale):
    config = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd, "amsgrad": amsgrad}
    assert_same_as_torch(O.AdamW if decoupled else O.Adam, config, seed=seed, scale=scale)


def test_gd_is_sgd_without_momentum():
    a = run(O.GD, {"lr": 0.03})
    b = run(lambda ps, **kw: torch.optim.SGD(ps, foreach=False, **kw), {"lr": 0.03})
    assert torch.equal(a, b)


# -- validation ------------------------------------------------------------------------------
BAD = [
    (O.GD, {"lr": -0.1}, "lr"),
    (O.SGD, {"lr": -1.0}, "lr"),
    (O.SGD, {"momentum": -0.5}, "momentum"),
    (O.SGD, {"dampening": 1.5}, "dampening"),
    (O.SGD, {"weight_decay": -1e-4}, "weight_decay"),
    (O.SGD, {"lr": float("nan")}, "lr"),
    (O.Adagrad, {"lr_decay": -0.1}, "lr_decay"),
    (O.Adagrad, {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
    (O.Adagrad, {"eps": -1e-10}, "eps"),
    (O.RMSProp, {"alpha": 1.5}, "alpha"),
    (O.RMSProp, {"eps": -1.0}, "eps"),
    (O.RMSProp, {"momentum": -0.1}, "momentum"),
    (O.Adam, {"betas": (1.0, 0.999)}, "betas[0]"),
    (O.Adam, {"betas": (0.9, -0.1)}, "betas[1]"),
    (O.Adam, {"eps": -1e-8}, "eps"),
    (O.AdamW, {"weight_decay": -0.01}, "weight_decay"),
]


@pytest.mark.parametrize("cls,kwargs,name", BAD, ids=[f"{c.__name__}-{n}" for c, _, n in BAD])
def test_bad_hyperparameter_names_parameter_and_range(cls, kwargs, name):
    with pytest.raises(ValueError) as info:
        cls([torch.zeros(2, requires_grad=True)], **kwargs)
    msg = str(info.value)
    assert msg.startswith(name + " must be in "), msg
    assert "[" in msg or "(" in msg


def test_bad_hyperparameter_in_a_param_group_is_caught():
    with pytest.raises(ValueError, match="lr must be in"):
        O.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": -1.0}], lr=0.1)


def test_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match="nesterov"):
        O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="nesterov"):
        O.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_unknown_hyperparameter_is_a_type_error():
    with pytest.raises(TypeError, match="momentum"):
        O.Adam([torch.zeros(1, requires_grad=True)], momentum=0.9)


def test_interval_formatting_and_membership():
    iv = O.Interval(0.0, 1.0, high_closed=False)
    assert str(iv) == "[0, 1)"
    assert 0.0 in iv and 0.5 in iv and 1.0 not in iv and -1e-12 not in iv
    assert float("nan") not in iv and True not in iv
    assert str(O.Interval(0.0, math.inf)) == "[0, inf)"


# -- the template ------------------------------------------------------------------------------
def test_template_requires_update_param():
    class Nothing(O.OptimizerBase):
        pass

    p = torch.ones(2, requires_grad=True)
    opt = Nothing([p], lr=0.1)
    p.sum().backward()
    with pytest.raises(NotImplementedError, match="update_param"):
        opt.step()


def test_template_skips_params_without_grad_and_counts_steps():
    seen = []

    class Recorder(O.OptimizerBase):
        def update_param(self, p, grad, state, group):
            seen.append((id(p), state["step"]))

    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    opt = Recorder([a, b], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        a.sum().backward()  # b never gets a gradient
        opt.step()
    assert seen == [(id(a), 1), (id(a), 2), (id(a), 3)]
    assert b not in opt.state or not opt.state[b]


def test_step_returns_closure_loss_and_zero_grad_clears():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = O.GD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    assert torch.allclose(p.detach(), torch.tensor([0.8, 1.6]))
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize("ours", list(TORCH))
def test_lr_scheduler_drives_our_optimizers(ours):
    config = {"lr": 0.05}

    def go(factory):
        init, loss_fn = make_problem(3, 1.0)
        params = [p.clone().requires_grad_() for p in init]
        opt = factory(params, **config)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
        lrs = []
        for _ in range(30):
            opt.zero_grad()
            loss_fn(params).backward()
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        return torch.cat([p.detach().flatten() for p in params]), lrs

    a, lrs_a = go(ours)
    b, lrs_b = go(lambda ps, **kw: TORCH[ours](ps, foreach=False, **kw))
    assert lrs_a == lrs_b and lrs_a[-1] == 0.05 * 0.5**4
    assert (a - b).abs().max().item() <= 1e-12


@pytest.mark.parametrize("ours,config", [
    (O.SGD, {"lr": 0.02, "momentum": 0.9}),
    (O.Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (O.RMSProp, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (O.Adam, {"lr": 0.01, "amsgrad": True}),
    (O.AdamW, {"lr": 0.01}),
], ids=lambda v: getattr(v, "__name__", ""))
def test_state_dict_round_trip(ours, config):
    init, loss_fn = make_problem(5, 1.0)

    def steps(opt, params, n):
        for _ in range(n):
            opt.zero_grad()
            loss_fn(params).backward()
            opt.step()

    straight = [p.clone().requires_grad_() for p in init]
    opt = ours(straight, **config)
    steps(opt, straight, 20)

    first = [p.clone().requires_grad_() for p in init]
    opt1 = ours(first, **config)
    steps(opt1, first, 10)
    saved = opt1.state_dict()
    resumed = [p.detach().clone().requires_grad_() for p in first]
    opt2 = ours(resumed, **config)
    opt2.load_state_dict(saved)
    assert opt2.state[resumed[0]]["step"] == 10
    steps(opt2, resumed, 10)
    for a, b in zip(straight, resumed, strict=True):
        assert torch.equal(a.detach(), b.detach())
