"""Checks of notebook 05 (SGD and mini-batches): gradient variance, accumulation, the DataLoader."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from ..training import RecordingSGD
from .core import FAIL, PASS, CheckResult, check_value, guard

__all__ = [
    "check_accumulation",
    "check_loader",
    "check_minibatch_variance",
    "minibatch_gradient_variance",
]


def minibatch_gradient_variance(sigma2: float, n: int, batch_size: int, replacement: bool) -> float:
    """E||g_B - g||^2 of the mean of ``batch_size`` per-example gradients drawn from ``n``.

    ``sigma2`` is the population variance (1/N) sum_i ||g_i - g||^2. With replacement the draws
    are independent: sigma2 / B. Without replacement: sigma2 / B * (N - B) / (N - 1).
    """
    if not 1 <= batch_size <= (n if not replacement else batch_size):
        raise ValueError(f"batch_size must be in [1, n={n}] without replacement, got {batch_size}")
    v = sigma2 / batch_size
    return v if replacement else v * (n - batch_size) / (n - 1)


def check_minibatch_variance(
    answer: Any, sigma2: float = 3.0, n: int = 20, batch_size: int = 5, replacement: bool = False
) -> CheckResult:
    """The variance of a mini-batch gradient, with or without replacement (finite-population correction)."""
    how = "with" if replacement else "without"
    expected = minibatch_gradient_variance(sigma2, n, batch_size, replacement)
    b = batch_size
    hints = [
        (sigma2 / b**2, "the variance of a mean of B independent terms is sigma^2 / B, not sigma^2 / B^2."),
        (sigma2, "averaging B gradients shrinks the variance: divide by B."),
        (math.sqrt(sigma2 / b), "that is a standard deviation; the question asks for the variance."),
    ]
    if replacement:
        hints.append((minibatch_gradient_variance(sigma2, n, b, False),
                      "with replacement the B draws are independent: no finite-population correction."))
    else:
        hints += [
            (sigma2 / b, "that holds with replacement. Without replacement a batch cannot repeat an example, "
                         "which lowers the variance by the finite-population correction."),
            (sigma2 / b * (n - b) / n, "close: sigma^2 here is the population variance (divided by N); redo the "
                                       "finite-population correction with that definition."),
            (sigma2 / b * (1 - (b - 1) / n), "close: check the finite-population correction's denominator."),
        ]
    return check_value(
        f"variance of the mean of B={b} gradients drawn {how} replacement from N={n}",
        answer, expected, rtol=1e-3, hints=hints,
        default_hint="start from sigma^2 / B and ask whether the draws are independent.",
    )


def _accumulation_case(n: int, batch_size: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=gen, dtype=torch.float64)
    Y = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    batches = [(X[i:i + batch_size], Y[i:i + batch_size]) for i in range(0, n, batch_size)]
    return model, batches


def _mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((out - target) ** 2).mean()


def _params(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def _big_batch_epoch(model, optimizer, loss_fn, batches, k):
    """The reference: one step per group of k micro-batches, on the concatenated group."""
    for start in range(0, len(batches), k):
        group = batches[start:start + k]
        xb = torch.cat([b[0] for b in group])
        yb = torch.cat([b[1] for b in group])
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()


def _accumulate(model, optimizer, loss_fn, batches, k, *, when, scale, tail=True, zero=True):
    """Gradient accumulation with a chosen step rule and loss scaling (the right one and known mistakes)."""
    optimizer.zero_grad()
    for i, (xb, yb) in enumerate(batches):
        group = batches[(i // k) * k:(i // k) * k + k]
        sizes = [len(b[0]) for b in group]
        loss = loss_fn(model(xb), yb) * scale(len(xb), sizes, k)
        loss.backward()
        last = i + 1 == len(batches)
        if when(i, k) or (tail and last and not when(i, k) and (i + 1) % k != 0):
            optimizer.step()
            if zero:
                optimizer.zero_grad()


_ACCUMULATION_MISTAKES = [
    ("you step when i % k == 0, i.e. after the first micro-batch and then every k (seed 001's loop), "
     "and the last partial group never gets its step: a group's step must come after its k-th micro-batch, "
     "and the last group's after the last batch.",
     dict(when=lambda i, k: i % k == 0, scale=lambda nb, s, k: 1 / k, tail=False)),
    ("you step after every k-th micro-batch but never after the last partial group: its gradients are "
     "computed and thrown away. Also step after the last batch.",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: nb / sum(s), tail=False)),
    ("the steps are right, but dividing each loss by k is only right when the group has k micro-batches "
     "of equal size. The big batch's loss is the mean over all the examples of its group: how much should "
     "a micro-batch's mean count when its group is smaller or its sizes differ?",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1 / k)),
    ("dividing by the number of micro-batches in the group averages their means, which equals the "
     "group mean only when all micro-batches have the same size: a mean of means is not the mean over "
     "all the examples.",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1 / len(s))),
    ("the loss is not divided at all: the accumulated gradient is the sum of k means, k times too "
     "large for the mean loss of the group.",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: 1.0)),
    ("the gradients are not reset after a step, so each group's gradient carries the previous groups'. "
     "Call optimizer.zero_grad() after optimizer.step().",
     dict(when=lambda i, k: (i + 1) % k == 0, scale=lambda nb, s, k: nb / sum(s), zero=False)),
]


def check_accumulation(student_fn: Callable[..., Any], atol: float = 1e-12) -> CheckResult:
    """``student_fn(model, optimizer, loss_fn, batches, k)`` runs one epoch of gradient accumulation over
    the list ``batches`` of (x, y) micro-batches; it must leave the parameters equal (float64, to
    ``atol``) to one step per group of k micro-batches taken on the concatenated group."""
    title = "gradient accumulation == one big batch"
    cases = [(64, 8, 4), (75, 8, 4), (70, 8, 3), (20, 4, 1)]  # exact groups, tail [8, 3], [8, 8, 6], k=1

    def body() -> CheckResult:
        for n, b, k in cases:
            model, batches = _accumulation_case(n, b)
            ref_model, _ = _accumulation_case(n, b)
            opt = RecordingSGD(model.parameters(), lr=0.1, momentum=0.9)
            ref_opt = torch.optim.SGD(ref_model.parameters(), lr=0.1, momentum=0.9)
            student_fn(model, opt, _mse, batches, k)
            _big_batch_epoch(ref_model, ref_opt, _mse, batches, k)
            got, want = _params(model), _params(ref_model)
            sizes = [len(x) for x, _ in batches]
            case = f"N={n}, B={b}, k={k} (micro-batch sizes {sizes[:2]}...{sizes[-2:]})"
            expected_steps = math.ceil(len(batches) / k)
            err = float((got - want).abs().max())
            if err <= atol:
                continue
            hint = None
            for text, kw in _ACCUMULATION_MISTAKES:
                wrong_model, _ = _accumulation_case(n, b)
                wrong_opt = torch.optim.SGD(wrong_model.parameters(), lr=0.1, momentum=0.9)
                _accumulate(wrong_model, wrong_opt, _mse, batches, k, **kw)
                if torch.allclose(got, _params(wrong_model), rtol=0, atol=1e-10):
                    hint = text
                    break
            steps = (f"; you took {opt.n_steps} optimizer steps, the big-batch run takes {expected_steps}"
                     if opt.n_steps != expected_steps else "")
            return CheckResult(FAIL, title, f"{case}: parameters differ by up to {err:.3g}{steps}",
                               hint or "after the epoch the parameters must equal those of one step per group "
                                       "of k micro-batches on the concatenated group (mean loss over the group).")
        return CheckResult(PASS, title, f"equal to the big-batch run to {atol:g} in {len(cases)} cases, "
                           "partial and unequal groups included.")

    return guard(title, body)


def check_loader(student_fn: Callable[..., Any]) -> CheckResult:
    """``student_fn(dataset, batch_size, device)`` must return a DataLoader that reshuffles every epoch
    (without replacement), drops the last partial batch, and pins memory only for a CUDA device."""
    title = "make_loader(dataset, batch_size, device)"

    def body() -> CheckResult:
        from torch.utils.data import DataLoader, RandomSampler, TensorDataset

        ds = TensorDataset(torch.arange(50.0), torch.arange(50))
        for device in (torch.device("cpu"), torch.device("cuda")):
            try:
                loader = student_fn(ds, 8, device)
            except TypeError as exc:
                if "pin_device" in str(exc):
                    return CheckResult(FAIL, title, f"TypeError: {exc}",
                                       "DataLoader has no pin_device argument: the option is pin_memory.")
                raise
            where = f"for device {device.type!r}"
            if not isinstance(loader, DataLoader):
                return CheckResult(FAIL, title, f"{where}: expected a DataLoader, got {type(loader).__name__}")
            if loader.batch_size != 8:
                return CheckResult(FAIL, title, f"{where}: batch_size is {loader.batch_size}, asked for 8",
                                   "pass batch_size=batch_size.")
            if not isinstance(loader.sampler, RandomSampler):
                return CheckResult(FAIL, title, f"{where}: the batches come in the stored order",
                                   "shuffle=True draws a new permutation every epoch.")
            if loader.sampler.replacement:
                return CheckResult(FAIL, title, f"{where}: the sampler draws with replacement",
                                   "an epoch should visit every example once: shuffle=True, not a "
                                   "RandomSampler(replacement=True).")
            if not loader.drop_last:
                return CheckResult(FAIL, title, f"{where}: 50 examples in batches of 8 leave a last batch of 2",
                                   "drop_last=True keeps every step at the same batch size.")
            if bool(loader.pin_memory) != (device.type == "cuda"):
                hint = "pinned (page-locked) memory only speeds up copies to a CUDA device: pin it only for one."
                return CheckResult(FAIL, title, f"{where}: pin_memory={loader.pin_memory}", hint)
            if device.type == "cpu":
                sizes = [len(xb) for xb, _ in loader]
                if sizes != [8] * 6:
                    return CheckResult(FAIL, title, f"one epoch gave batch sizes {sizes}",
                                       "expected six batches of 8.")
        return CheckResult(PASS, title, "shuffles every epoch, drops the partial batch, pins memory only for CUDA.")

    return guard(title, body)
