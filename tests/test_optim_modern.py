"""The optimizers of notebook 09 equal their references (torch.optim, lion-pytorch, schedulefree),
option for option, under schedulers and across a state_dict round trip; they validate their
hyperparameters like their references; Muon refuses what torch's Muon refuses."""

from __future__ import annotations

import lion_pytorch
import pytest
import schedulefree
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim._muon import _zeropower_via_newtonschulz

import course_utils.optim_modern as M
from course_utils import Adafactor, Lion, Muon, NAdam, RAdam, ScheduleFreeAdamW

SHAPES = ((5,), (3, 2), (1,), (4, 4), (2, 3, 4))  # vectors, wide/tall/square matrices, a 3-D tensor
MATRICES = ((3, 2), (4, 4), (2, 5), (6, 1))  # Muon takes 2-D parameters only


def make_problem(seed: int, scale: float, shapes=SHAPES):
    """A non-quadratic float64 problem that couples the entries of every tensor."""
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]
    mix = [torch.randn(*s, generator=gen, dtype=torch.float64) for s in shapes]

    def loss(ps):
        total = 0.0
        for i, (p, a) in enumerate(zip(ps, mix, strict=True)):
            total = total + torch.sin(p).sum() + 0.5 * (i + 1) * (p**2).sum() + torch.tanh((a * p).sum()) ** 2
            if p.ndim == 2:
                total = total + 0.1 * (p @ p.T).square().sum()
        return scale * (total + torch.log1p(torch.exp(-sum(p.sum() for p in ps))))

    return params, loss


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _lion(ps, **kw):
    return lion_pytorch.Lion(ps, **kw)


def _sf(foreach: bool):
    def make(ps, **kw):
        return schedulefree.AdamWScheduleFree(ps, foreach=foreach, **kw)

    return make


REFERENCE = {
    NAdam: lambda ps, **kw: torch.optim.NAdam(ps, foreach=False, **kw),
    RAdam: lambda ps, **kw: torch.optim.RAdam(ps, foreach=False, **kw),
    Adafactor: lambda ps, **kw: torch.optim.Adafactor(ps, foreach=False, **kw),
    Muon: torch.optim.Muon,
    Lion: _lion,
    ScheduleFreeAdamW: _sf(False),
}


def _shapes(cls):
    return MATRICES if cls is Muon else SHAPES


def run(factory, config, *, shapes=SHAPES, seed=0, scale=1.0, steps=60, schedule_free=False, scheduler=None):
    """Parameters after ``steps`` steps (for schedule-free: the eval weights x), and the lrs used."""
    init, loss_fn = make_problem(seed, scale, shapes)
    params = [p.clone().requires_grad_() for p in init]
    opt = factory(params, **config)
    sign = -1.0 if config.get("maximize") else 1.0  # maximize -loss: the same problem, ascended
    sched = scheduler(opt) if scheduler else None
    if schedule_free:
        opt.train()
    lrs = []
    for _ in range(steps):
        opt.zero_grad()
        (sign * loss_fn(params)).backward()
        opt.step()
        lrs.append(opt.param_groups[0]["lr"])
        if sched:
            sched.step()
    if schedule_free:
        opt.eval()
    return torch.cat([p.detach().flatten() for p in params]), lrs


def max_diff(ours, config, *, reference=None, **kw):
    kw = {"shapes": _shapes(ours), "schedule_free": ours is ScheduleFreeAdamW, **kw}
    a, _ = run(ours, config, **kw)
    b, _ = run(reference or REFERENCE[ours], config, **kw)
    assert torch.isfinite(b).all(), "the reference blew up: pick a gentler configuration"
    return (a - b).abs().max().item()


# -- hand-picked cases -------------------------------------------------------------------------
HARD_CASES = [
    (NAdam, {}),
    (NAdam, {"lr": 0.01, "betas": (0.5, 0.9), "momentum_decay": 0.1}),  # the schedule moves fast
    (NAdam, {"lr": 0.01, "weight_decay": 0.3, "eps": 1e-3}),
    (NAdam, {"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True, "maximize": True}),
    (RAdam, {}),
    (RAdam, {"lr": 0.01, "betas": (0.8, 0.9)}),  # rho_inf = 19: the adaptive step starts at t = 6
    (RAdam, {"lr": 0.01, "betas": (0.9, 0.5)}),  # rho_inf = 3 < 5: never adaptive
    (RAdam, {"lr": 0.01, "weight_decay": 0.3, "eps": 1e-3, "maximize": True}),
    (RAdam, {"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True}),
    (Adafactor, {}),
    (Adafactor, {"lr": 0.1, "weight_decay": 0.2}),  # decay before the update, RMS before the decay
    (Adafactor, {"lr": 0.05, "d": 3.0, "beta2_decay": -0.5, "eps": (1e-3, 0.1), "maximize": True}),
    (Adafactor, {"lr": 0.02, "beta2_decay": 0.0}),  # beta2_hat = 0: no memory at all
    (Muon, {}),
    (Muon, {"lr": 0.02, "weight_decay": 0.0, "momentum": 0.9}),
    (Muon, {"lr": 0.02, "nesterov": False, "ns_steps": 3, "adjust_lr_fn": "match_rms_adamw"}),
    (Muon, {"lr": 0.01, "adjust_lr_fn": "original", "ns_coefficients": (1.5, -0.5, 0.0), "ns_steps": 8}),
    (Muon, {"lr": 0.01, "eps": 1e-3}),  # the clamp of the norm matters with a large eps
    (Lion, {}),
    (Lion, {"lr": 0.01, "weight_decay": 0.5, "betas": (0.5, 0.8)}),
    (Lion, {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True}),
    (ScheduleFreeAdamW, {}),
    (ScheduleFreeAdamW, {"lr": 0.01, "weight_decay": 0.3, "betas": (0.5, 0.9)}),
    (ScheduleFreeAdamW, {"lr": 0.01, "warmup_steps": 20, "r": 1.0, "weight_lr_power": 1.0, "eps": 1e-4}),
]


@pytest.mark.parametrize("ours,config", HARD_CASES, ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("scale", [1.0, 1e-9], ids=["scale=1", "tiny-loss-scale"])
def test_matches_reference(ours, config, scale):
    # With a tiny loss scale the gradients are ~1e-9: every eps and every clamp is in play.
    err = max_diff(ours, config, scale=scale)
    assert err <= 1e-10, f"{ours.__name__} {config} scale {scale}: max |diff| = {err}"


def test_muon_is_bit_identical_to_torch():
    """Muon's bfloat16 Newton-Schulz leaves no room for rounding: the paths agree exactly."""
    for config in ({}, {"lr": 0.05, "nesterov": False}):
        assert max_diff(Muon, config) == 0.0


@pytest.mark.parametrize("foreach", [True, False])
def test_schedule_free_matches_both_code_paths(foreach):
    err = max_diff(ScheduleFreeAdamW, {"lr": 0.01, "weight_decay": 0.1}, reference=_sf(foreach))
    assert err <= 1e-10


def test_nadam_with_float64_default_dtype():
    """torch keeps NAdam's mu product in the default float dtype's scalar type; so do we."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert max_diff(NAdam, {"lr": 0.01, "momentum_decay": 0.05}) <= 1e-10
    finally:
        torch.set_default_dtype(old)


def test_nadam_mu_product_in_float64_would_differ():
    """Guard: keeping the product in a Python float (float64) moves the path by far more than 1e-10,
    so the test above and the hard cases do see the scalar dtype."""

    class Float64Product(NAdam):
        def init_state(self, p, state, group):
            super().init_state(p, state, group)
            state["mu_product"] = torch.tensor(1.0, dtype=torch.float64)

    assert max_diff(Float64Product, {"lr": 0.05, "momentum_decay": 0.1}, reference=REFERENCE[NAdam]) > 1e-10


# -- randomized options ------------------------------------------------------------------------
lr = st.floats(1e-4, 0.05)
unit = st.floats(0.0, 0.99)
decay = st.sampled_from([0.0, 1e-3, 0.1, 1.0])
scales = st.sampled_from([1.0, 1e-6])
seeds = st.integers(0, 1000)
slow = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@slow
@given(lr=lr, b1=unit, b2=st.floats(0.5, 0.9999), eps=st.sampled_from([1e-8, 1e-3]), wd=decay,
       psi=st.sampled_from([0.0, 4e-3, 0.1]), decoupled=st.booleans(), maximize=st.booleans(), seed=seeds,
       scale=scales)
def test_nadam_random_options(lr, b1, b2, eps, wd, psi, decoupled, maximize, seed, scale):
    config = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd, "momentum_decay": psi,
              "decoupled_weight_decay": decoupled, "maximize": maximize}
    assert max_diff(NAdam, config, seed=seed, scale=scale) <= 1e-10


@slow
@given(lr=lr, b1=unit, b2=st.floats(0.5, 0.9999), eps=st.sampled_from([1e-8, 1e-3]), wd=decay,
       decoupled=st.booleans(), maximize=st.booleans(), seed=seeds, scale=scales)
def test_radam_random_options(lr, b1, b2, eps, wd, decoupled, maximize, seed, scale):
    config = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd, "decoupled_weight_decay": decoupled,
              "maximize": maximize}
    assert max_diff(RAdam, config, seed=seed, scale=scale) <= 1e-10


@slow
@given(lr=lr, beta2_decay=st.floats(-1.0, 0.0), eps1=st.sampled_from([None, 0.0, 1e-30, 1e-3]),
       eps2=st.sampled_from([0.0, 1e-3, 0.1]), d=st.floats(1.0, 5.0), wd=decay, maximize=st.booleans(),
       seed=seeds, scale=scales)
def test_adafactor_random_options(lr, beta2_decay, eps1, eps2, d, wd, maximize, seed, scale):
    config = {"lr": lr, "beta2_decay": beta2_decay, "eps": (eps1, eps2), "d": d, "weight_decay": wd,
              "maximize": maximize}
    assert max_diff(Adafactor, config, seed=seed, scale=scale) <= 1e-10


@slow
@given(lr=lr, wd=decay, mu=unit, nesterov=st.booleans(), steps=st.integers(0, 8),
       coefficients=st.sampled_from([M.MUON_COEFFICIENTS, (1.5, -0.5, 0.0), (2.0, -1.5, 0.5)]),
       eps=st.sampled_from([1e-7, 1e-3]), fn=st.sampled_from([None, "original", "match_rms_adamw"]),
       seed=seeds, scale=scales)
def test_muon_random_options(lr, wd, mu, nesterov, steps, coefficients, eps, fn, seed, scale):
    config = {"lr": lr, "weight_decay": wd, "momentum": mu, "nesterov": nesterov, "ns_steps": steps,
              "ns_coefficients": coefficients, "eps": eps, "adjust_lr_fn": fn}
    assert max_diff(Muon, config, seed=seed, scale=scale) == 0.0


@slow
@given(lr=lr, b1=st.floats(0.0, 1.0), b2=st.floats(0.0, 1.0), wd=decay, decoupled=st.booleans(), seed=seeds,
       scale=scales)
def test_lion_random_options(lr, b1, b2, wd, decoupled, seed, scale):
    config = {"lr": lr, "betas": (b1, b2), "weight_decay": wd, "decoupled_weight_decay": decoupled}
    assert max_diff(Lion, config, seed=seed, scale=scale) <= 1e-10


@slow
@given(lr=lr, b1=st.floats(0.05, 0.99), b2=st.floats(0.5, 0.9999), eps=st.sampled_from([1e-8, 1e-3]), wd=decay,
       warmup=st.sampled_from([0, 1, 10, 100]), r=st.sampled_from([0.0, 0.5, 2.0]),
       power=st.sampled_from([0.0, 1.0, 2.0]), foreach=st.booleans(), seed=seeds, scale=scales)
def test_schedule_free_random_options(lr, b1, b2, eps, wd, warmup, r, power, foreach, seed, scale):
    config = {"lr": lr, "betas": (b1, b2), "eps": eps, "weight_decay": wd, "warmup_steps": warmup, "r": r,
              "weight_lr_power": power}
    assert max_diff(ScheduleFreeAdamW, config, reference=_sf(foreach), seed=seed, scale=scale) <= 1e-10


# -- schedulers and state_dict -----------------------------------------------------------------
SCHEDULED = [
    (NAdam, {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    (RAdam, {"lr": 0.02}),
    (Adafactor, {"lr": 0.05, "weight_decay": 0.1}),  # lr caps the relative step and scales the decay
    (Muon, {"lr": 0.05}),
    (Lion, {"lr": 0.01, "weight_decay": 0.3, "decoupled_weight_decay": True}),  # the decay divides by lr_0
    (ScheduleFreeAdamW, {"lr": 0.02, "warmup_steps": 5}),  # lr_max remembers the largest lr
]


@pytest.mark.parametrize("ours,config", SCHEDULED, ids=lambda v: getattr(v, "__name__", ""))
def test_lr_scheduler_drives_our_optimizers(ours, config):
    def schedule(opt):
        return torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)

    kw = {"shapes": _shapes(ours), "schedule_free": ours is ScheduleFreeAdamW, "steps": 30, "scheduler": schedule}
    a, lrs_a = run(ours, config, **kw)
    b, lrs_b = run(REFERENCE[ours], config, **kw)
    assert lrs_a == lrs_b and lrs_a[-1] == config["lr"] * 0.5**4
    assert (a - b).abs().max().item() <= 1e-10


def _straight_and_resumed(factory, config, shapes, schedule_free):
    """The parameters after 20 steps in one go, and after 10 steps, a state_dict round trip into a
    fresh optimizer (and fresh parameters), and 10 more steps."""
    init, loss_fn = make_problem(5, 1.0, shapes)

    def steps(opt, params, n):
        for _ in range(n):
            opt.zero_grad()
            loss_fn(params).backward()
            opt.step()

    def start(params):
        opt = factory(params, **config)
        if schedule_free:
            opt.train()
        return opt

    straight = [p.clone().requires_grad_() for p in init]
    steps(start(straight), straight, 20)
    first = [p.clone().requires_grad_() for p in init]
    opt1 = start(first)
    steps(opt1, first, 10)
    if schedule_free:
        opt1.eval()  # schedulefree's advice: save in eval mode
    saved = opt1.state_dict()
    resumed = [p.detach().clone().requires_grad_() for p in first]
    opt2 = factory(resumed, **config)
    opt2.load_state_dict(saved)
    if schedule_free:
        assert opt2.param_groups[0]["k"] == 10 and not opt2.param_groups[0]["train_mode"]
        opt2.train()
    steps(opt2, resumed, 10)
    flat = [torch.cat([p.detach().flatten() for p in ps]) for ps in (straight, resumed)]
    return flat[0], flat[1], opt2


@pytest.mark.parametrize("ours,config", SCHEDULED, ids=lambda v: getattr(v, "__name__", ""))
def test_state_dict_round_trip(ours, config):
    kw = {"shapes": _shapes(ours), "schedule_free": ours is ScheduleFreeAdamW}
    straight, resumed, opt = _straight_and_resumed(ours, config, **kw)
    ref_straight, ref_resumed, _ = _straight_and_resumed(REFERENCE[ours], config, **kw)
    assert next(iter(opt.state.values()))["step"] == 20
    assert (resumed - ref_resumed).abs().max() <= 1e-10  # a round trip does what it does in the reference
    if ours is NAdam:
        # torch casts every floating state tensor but "step" to the parameter's dtype on loading, so
        # NAdam's float32 mu product continues in float64 after a round trip, in torch as here.
        assert opt.state[next(iter(opt.state))]["mu_product"].dtype == torch.float64
        assert 0 < (resumed - straight).abs().max() <= 1e-8
    elif ours is ScheduleFreeAdamW:  # saved in eval mode: the switch to x and back to y rounds
        assert (resumed - straight).abs().max() <= 1e-13
    else:
        assert torch.equal(straight, resumed)


# -- schedule-free's two sets of weights -------------------------------------------------------
def test_schedule_free_train_eval_switch_matches_the_package():
    init, loss_fn = make_problem(2, 1.0)
    ours = [p.clone().requires_grad_() for p in init]
    theirs = [p.clone().requires_grad_() for p in init]
    a = ScheduleFreeAdamW(ours, lr=0.02, betas=(0.8, 0.99))
    b = schedulefree.AdamWScheduleFree(theirs, lr=0.02, betas=(0.8, 0.99), foreach=False)
    for opt in (a, b):
        opt.train()
    y_and_x = []
    for _ in range(15):
        for opt, ps in ((a, ours), (b, theirs)):
            opt.zero_grad()
            loss_fn(ps).backward()
            opt.step()
        y = [torch.cat([p.detach().flatten() for p in ps]) for ps in (ours, theirs)]
        a.eval(), b.eval()
        x = [torch.cat([p.detach().flatten() for p in ps]) for ps in (ours, theirs)]
        a.train(), b.train()
        y_and_x.append((y, x))
    for t, ((ya, yb), (xa, xb)) in enumerate(y_and_x, start=1):
        assert (ya - yb).abs().max() <= 1e-12 and (xa - xb).abs().max() <= 1e-12
        # after the first step x = y = z (c_2 = 1); after that the two sets of weights differ
        assert (xa - ya).abs().max() > 1e-4 if t > 1 else (xa - ya).abs().max() < 1e-15
    # x = (y - (1 - beta1) z) / beta1, with z in the state
    a.eval()
    for p in ours:
        state = a.state[p]
        assert "z" in state
    a.train()
    y = torch.cat([p.detach().flatten() for p in ours])
    z = torch.cat([a.state[p]["z"].flatten() for p in ours])
    a.eval()
    x = torch.cat([p.detach().flatten() for p in ours])
    assert torch.allclose(x, (y - 0.2 * z) / 0.8, rtol=0, atol=1e-12)


def test_schedule_free_needs_train_mode_and_switches_are_idempotent():
    p = torch.ones(3, dtype=torch.float64, requires_grad=True)
    opt = ScheduleFreeAdamW([p], lr=0.1)
    p.sum().backward()
    with pytest.raises(RuntimeError, match="train"):
        opt.step()
    opt.train()
    opt.step()  # after one step x = y = z
    p.grad = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    opt.step()
    y = p.detach().clone()
    opt.train()  # already in train mode: nothing moves
    assert torch.equal(p.detach(), y)
    opt.eval()
    x = p.detach().clone()
    opt.eval()
    assert torch.equal(p.detach(), x) and not torch.equal(x, y)
    opt.train()
    assert torch.allclose(p.detach(), y, rtol=0, atol=1e-15)


# -- Muon: 2-D only, and its Newton-Schulz iteration is torch's --------------------------------
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4), ()])
def test_muon_refuses_non_2d_parameters_as_torch_does(shape):
    bad = torch.zeros(shape, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.Muon([bad])
    with pytest.raises(ValueError, match="2-D"):
        Muon([bad])
    ok = Muon([torch.zeros(3, 2, requires_grad=True)])
    with pytest.raises(ValueError, match="2-D"):
        ok.add_param_group({"params": [bad]})


@pytest.mark.parametrize("shape", [(8, 3), (3, 8), (6, 6), (1, 5), (5, 1)])
@pytest.mark.parametrize("steps", [0, 1, 5, 9])
def test_newton_schulz_equals_torch(shape, steps):
    G = torch.randn(*shape, generator=torch.Generator().manual_seed(steps), dtype=torch.float64)
    ours = M.newton_schulz(G, M.MUON_COEFFICIENTS, steps, 1e-7)
    theirs = _zeropower_via_newtonschulz(G, M.MUON_COEFFICIENTS, steps, 1e-7)
    assert ours.dtype == theirs.dtype == torch.bfloat16
    assert torch.equal(ours, theirs)


def test_newton_schulz_in_float64_converges_to_the_polar_factor_with_the_cubic():
    """The classic cubic (1.5, -0.5, 0) converges to U V^T; the quintic stops near it (S' in [0.5, 1.5])."""
    G = torch.randn(12, 7, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    polar = U @ Vh
    cubic = M.newton_schulz(G, (1.5, -0.5, 0.0), 60, 1e-7, dtype=torch.float64)
    assert (cubic - polar).norm() / polar.norm() < 1e-10
    quintic = M.newton_schulz(G, M.MUON_COEFFICIENTS, 10, 1e-7, dtype=torch.float64)
    s = torch.linalg.svdvals(quintic)
    assert 0.5 < s.min() and s.max() < 1.5 and (quintic - polar).norm() / polar.norm() > 1e-3


# -- validation --------------------------------------------------------------------------------
BAD = [
    (NAdam, {"lr": -0.1}, "lr"),
    (NAdam, {"betas": (1.0, 0.999)}, "betas[0]"),
    (NAdam, {"betas": (0.9, -0.1)}, "betas[1]"),
    (NAdam, {"eps": -1e-8}, "eps"),
    (NAdam, {"weight_decay": -0.1}, "weight_decay"),
    (NAdam, {"momentum_decay": -1e-3}, "momentum_decay"),
    (RAdam, {"lr": float("nan")}, "lr"),
    (RAdam, {"betas": (0.9, 1.0)}, "betas[1]"),
    (RAdam, {"eps": -1.0}, "eps"),
    (RAdam, {"weight_decay": -1.0}, "weight_decay"),
    (Adafactor, {"lr": -1e-2}, "lr"),
    (Adafactor, {"beta2_decay": 0.5}, "beta2_decay"),
    (Adafactor, {"eps": (-1.0, 1e-3)}, "eps[0]"),
    (Adafactor, {"eps": (None, -1e-3)}, "eps[1]"),
    (Adafactor, {"d": 0.5}, "d"),
    (Adafactor, {"weight_decay": -0.1}, "weight_decay"),
    (Muon, {"lr": -1.0}, "lr"),
    (Muon, {"momentum": -0.5}, "momentum"),
    (Muon, {"weight_decay": -0.1}, "weight_decay"),
    (Muon, {"adjust_lr_fn": "spectral"}, "adjust_lr_fn"),
    (Muon, {"ns_steps": 100}, "ns_steps"),
    (Muon, {"ns_coefficients": (1.0, 2.0)}, "ns_coefficients"),
    (Lion, {"lr": 0.0}, "lr"),
    (Lion, {"betas": (0.9, 1.5)}, "betas[1]"),
    (Lion, {"weight_decay": -0.1}, "weight_decay"),
    (ScheduleFreeAdamW, {"lr": -0.1}, "lr"),
    (ScheduleFreeAdamW, {"betas": (0.0, 0.999)}, "betas[0]"),
    (ScheduleFreeAdamW, {"betas": (0.9, 1.0)}, "betas[1]"),
    (ScheduleFreeAdamW, {"warmup_steps": -1}, "warmup_steps"),
    (ScheduleFreeAdamW, {"weight_decay": -1.0}, "weight_decay"),
    (ScheduleFreeAdamW, {"r": -1.0}, "r"),
]


@pytest.mark.parametrize("cls,kwargs,name", BAD, ids=[f"{c.__name__}-{n}" for c, _, n in BAD])
def test_bad_hyperparameter_names_parameter_and_range(cls, kwargs, name):
    param = torch.zeros(2, 2, requires_grad=True)
    with pytest.raises(ValueError) as info:
        cls([param], **kwargs)
    msg = str(info.value)
    assert msg.startswith(name + " must be"), msg
    assert "[" in msg or "(" in msg or "'" in msg


def test_reference_rejects_what_we_reject_where_it_validates():
    """Where the reference validates a hyperparameter, it rejects the same bad values."""
    checked = {"NAdam", "RAdam", "Adafactor", "Muon"}
    for cls, kwargs, _ in BAD:
        if cls.__name__ not in checked or "ns_" in next(iter(kwargs)):
            continue
        with pytest.raises(ValueError):
            getattr(torch.optim, cls.__name__)([torch.zeros(2, 2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("cls", [NAdam, RAdam, Adafactor, Muon, Lion, ScheduleFreeAdamW])
def test_signature_and_defaults_are_the_references(cls):
    import inspect

    ref = {NAdam: torch.optim.NAdam, RAdam: torch.optim.RAdam, Adafactor: torch.optim.Adafactor,
           Muon: torch.optim.Muon, Lion: lion_pytorch.Lion, ScheduleFreeAdamW: schedulefree.AdamWScheduleFree}[cls]
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(ref.__init__).parameters
    assert list(ours) == list(theirs)
    for name, par in theirs.items():
        if par.default is not inspect.Parameter.empty:
            assert ours[name].default == par.default, name
            assert ours[name].kind == par.kind, name


def test_options_that_only_change_how_torch_computes():
    p = [torch.zeros(2, requires_grad=True)]
    NAdam(p, foreach=True)
    with pytest.raises(ValueError, match="capturable"):
        NAdam(p, capturable=True)
    with pytest.raises(ValueError, match="differentiable"):
        RAdam(p, differentiable=True)
    with pytest.raises(ValueError, match="use_triton"):
        Lion(p, use_triton=True)
    with pytest.raises(TypeError):
        NAdam(p, momentum=0.9)


def test_exported_from_course_utils():
    import course_utils

    for name in ("NAdam", "RAdam", "Adafactor", "Muon", "Lion", "ScheduleFreeAdamW"):
        assert name in course_utils.__all__ and getattr(course_utils, name) is getattr(M, name)
    import inspect

    assert M.MUON_COEFFICIENTS == inspect.signature(torch.optim.Muon).parameters["ns_coefficients"].default
