"""The optimizer grader: `check_optimizer` runs a student's optimizer and its torch reference side
by side in float64 and, when the paths part, names the known mistake the student's path reproduces."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..landscapes import Landscape, pathological, rosenbrock
from .core import ERROR, FAIL, PASS, CheckResult, guard
from .mistakes import default_configs, known_mistakes

__all__ = [
    "DEFAULT_PROBLEMS",
    "check_optimizer",
]


# --------------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------------
@dataclass
class _Problem:
    name: str
    make: Callable[[], tuple[list[torch.Tensor], Callable[[list[torch.Tensor]], torch.Tensor]]]


def _landscape_problem(land: Landscape, start: Sequence[float], scale: float = 1.0) -> _Problem:
    def make():
        w = torch.tensor(list(start), dtype=torch.float64, requires_grad=True)
        return [w], lambda ps: scale * land(ps[0][0], ps[0][1])

    suffix = f" x {scale:g}" if scale != 1.0 else ""
    return _Problem(f"{land.name} from {tuple(start)}{suffix}", make)


def _regression_problem(scale: float = 1.0) -> _Problem:
    def make():
        gen = torch.Generator().manual_seed(0)
        X = torch.randn(32, 3, generator=gen, dtype=torch.float64)
        y = torch.randn(32, 1, generator=gen, dtype=torch.float64)
        W1 = torch.randn(3, 4, generator=gen, dtype=torch.float64).requires_grad_()
        b1 = torch.zeros(4, dtype=torch.float64).requires_grad_()
        W2 = torch.randn(4, 1, generator=gen, dtype=torch.float64).requires_grad_()

        def loss(ps):
            W1, b1, W2 = ps
            return scale * ((torch.tanh(X @ W1 + b1) @ W2 - y) ** 2).mean()

        return [W1, b1, W2], loss

    return _Problem("a small tanh network" + (f" x {scale:g}" if scale != 1.0 else ""), make)


DEFAULT_PROBLEMS = [
    _landscape_problem(rosenbrock(), (-1.0, 1.5)),
    _landscape_problem(pathological, (-2.0, 3.0)),
    _regression_problem(),
    _regression_problem(scale=1e-8),  # tiny gradients: the placement of eps shows here
]


@dataclass
class _Run:
    """One run: ``steps + 1`` points (nan from the step that raised); where it broke, and why."""

    path: list[np.ndarray]
    broke_at: int | None = None  # the first step whose point is not finite (or that raised)
    error: BaseException | None = None  # what the constructor (step 0) or a step raised


def _run(opt_cls: Any, config: dict[str, Any], problem: _Problem, steps: int) -> _Run:
    """Run ``opt_cls(params, **config)`` for ``steps`` steps; a raised error (except a stub's
    ``NotImplementedError``, which propagates) ends the run and fills the rest with nan."""
    params, loss_fn = problem.make()

    def flat() -> np.ndarray:
        return torch.cat([p.detach().flatten() for p in params]).numpy().copy()

    path = [flat()]
    opt = None
    try:
        opt = opt_cls(params, **config)
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(params)
            loss.backward()
            opt.step()
            path.append(flat())
    except NotImplementedError:
        raise
    except Exception as exc:  # the student's code raised: keep the step, report it later
        at = len(path) if opt is not None else 0  # step t raised with t points recorded; 0: the constructor
        path += [np.full_like(path[0], np.nan)] * (steps + 1 - len(path))
        return _Run(path, at, exc)
    broke = next((k for k, x in enumerate(path) if not np.all(np.isfinite(x))), None)
    return _Run(path, broke)


# A run of the reference or of a registered mistake depends only on (class, configuration,
# problem, steps): it is computed once per process, so a student's re-run check (and the test suite,
# which runs hundreds of checks) does not redo it. A student's class is never cached: it changes
# each time the student edits and re-runs the cell.
_KNOWN_RUNS: dict[tuple[Any, str, int, int], tuple[_Problem, _Run]] = {}
_KNOWN_RUNS_LIMIT = 2048


def _known_run(cls: Any, config: dict[str, Any], problem: _Problem, steps: int) -> _Run:
    """``_run`` for a class whose runs are fixed (the torch reference, a registered mistake)."""
    key = (cls, repr(sorted(config.items())), id(problem), steps)
    hit = _KNOWN_RUNS.get(key)
    if hit is not None and hit[0] is problem:
        return hit[1]
    run = _run(cls, config, problem, steps)
    if len(_KNOWN_RUNS) >= _KNOWN_RUNS_LIMIT:
        _KNOWN_RUNS.clear()
    _KNOWN_RUNS[key] = (problem, run)  # the problem is kept so that its id is not reused
    return run


def _parting_step(a: list[np.ndarray], b: list[np.ndarray], atol: float, rtol: float = 0.0) -> int | None:
    """The first step where two paths differ (by more than ``atol + rtol*|b|``, or where one is
    finite and the other not); None if they agree. Once both have blown up, nothing later compares."""
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        fx, fy = np.isfinite(x), np.isfinite(y)
        if not np.array_equal(fx, fy):
            return t
        if not fy.all():
            return None
        if not np.all(np.abs(x - y) <= atol + rtol * np.abs(y)):
            return t
    return None


def _accepts(cls: Any, config: dict[str, Any]) -> bool:
    declared = getattr(cls, "defaults_", None)
    if declared is None or not isinstance(declared, dict):
        return True
    return set(config) <= set(declared)


def check_optimizer(
    student_cls: Any,
    reference: Any,
    configs: Sequence[dict[str, Any]] | None = None,
    *,
    steps: int = 30,
    atol: float = 1e-10,
    problems: Sequence[_Problem] | None = None,
    mistakes: Sequence[Any] | None = None,
) -> CheckResult:
    """Run ``student_cls`` and ``reference`` (a ``torch.optim`` class) side by side in float64.

    For every configuration and problem, both take ``steps`` steps from the same start; the
    check passes when the parameters agree to ``atol`` at every step. On a failure it reports
    the first failing configuration, the problem and the step at which the paths parted, and a
    hint. ``configs`` defaults to `course_utils.checks.mistakes.default_configs(reference)` (settings
    that expose the known mistakes); only those whose keys the student declares in ``defaults_``
    run. ``mistakes`` (default: `course_utils.checks.mistakes.known_mistakes(reference)`) lists wrong
    optimizers, as classes with ``hint`` (and ``detail``) attributes or ``(hint, class)`` /
    ``(hint, detail, class)`` tuples: when the student's path reproduces one of them, its hint
    names the concept, and its detail (the formula) is shown after repeated failures. A raised error or a
    nan in the student's run is reported as such (ERROR or FAIL), never as a crash.
    """
    title = f"{getattr(student_cls, '__name__', student_cls)} against torch.optim.{reference.__name__}"
    configs = default_configs(reference) if configs is None else list(configs)
    pairs = _mistake_pairs(known_mistakes(reference) if mistakes is None else mistakes)

    def body() -> CheckResult:
        probs = list(problems) if problems is not None else DEFAULT_PROBLEMS
        usable = [c for c in configs if _accepts(student_cls, c)]
        if not usable:
            return CheckResult(FAIL, title, "your class accepts none of the tested hyperparameters "
                               f"{[sorted(c) for c in configs]}", "declare them in defaults_.")
        for config in usable:
            for prob in probs:
                ref = _known_run(reference, config, prob, steps)
                if ref.error is not None:
                    return CheckResult(ERROR, title, f"the reference {reference.__name__} itself raised "
                                       f"{type(ref.error).__name__}: {ref.error} with {config} (a bug in the "
                                       "check's configuration, not in your code)")
                stu = _run(student_cls, config, prob, steps)
                t = _parting_step(stu.path, ref.path, atol)
                if t is None:
                    continue
                case = f"with {config} on {prob.name}"
                hint, detail = _diagnose(pairs, config, prob, steps, stu, ref, atol)
                if stu.error is not None and stu.broke_at is not None and stu.broke_at <= t:
                    where = ("creating your optimizer" if stu.broke_at == 0
                             else f"your step {stu.broke_at}")
                    return CheckResult(ERROR, title, f"{case}: {where} raised "
                                       f"{type(stu.error).__name__}: {stu.error}", hint or _error_hint(stu), detail)
                hint = hint or _defaults_hint(student_cls, reference, config)
                if not np.all(np.isfinite(stu.path[t])):
                    return CheckResult(FAIL, title, f"{case}: your parameters became nan/inf at step {t} "
                                       "(torch's stayed finite)", hint or _nan_hint(config), detail)
                if not np.all(np.isfinite(ref.path[t])):
                    return CheckResult(FAIL, title, f"{case}: torch's parameters became nan/inf at step {t}, "
                                       "yours did not", hint or _generic_hint(t, config), detail)
                err = float(np.max(np.abs(stu.path[t] - ref.path[t])))
                return CheckResult(FAIL, title, f"{case}: the paths part at step {t} "
                                   f"(max |difference| = {err:.3g})",
                                   hint or _shape_hint(stu.path, ref.path) or _generic_hint(t, config), detail)
        n = len(usable) * len(probs)
        skipped = sorted({k for c in configs if not _accepts(student_cls, c) for k in c} - set(
            getattr(student_cls, "defaults_", {}) or {}))
        note = (f"; skipped {len(configs) - len(usable)} configuration(s) using options your class does not "
                f"declare in defaults_: {', '.join(skipped)}") if skipped else ""
        return CheckResult(PASS, title, f"identical to torch to {atol:g} over {steps} steps "
                           f"in {n} runs ({len(usable)} configurations x {len(probs)} problems){note}.")

    return guard(title, body, subject=student_cls)


def _mistake_pairs(mistakes: Sequence[Any]) -> list[tuple[str, str, Any]]:
    """``(hint, detail, class)`` from ``(hint, class)`` or ``(hint, detail, class)`` tuples or
    from classes carrying ``hint`` and ``detail`` attributes."""
    out = []
    for m in mistakes:
        if isinstance(m, tuple):
            out.append((m[0], m[1], m[2]) if len(m) == 3 else (m[0], "", m[1]))
        else:
            out.append((getattr(m, "hint", "") or m.__name__, getattr(m, "detail", ""), m))
    return out


def _diagnose(mistakes, config, prob, steps, stu: _Run, ref: _Run, atol: float) -> tuple[str | None, str]:
    """The (hint, detail) of the first known mistake whose path the student's reproduces, ignoring
    mistakes that do not change the path in this configuration ((None, "") if none does).
    "Reproduces": the student's path stays 1000 times closer to the mistake's than the mistake's
    is to torch's (the same mistake written differently rounds differently), and blows up at the
    same step."""
    for hint, detail, wrong_cls in mistakes:
        try:
            wrong = _known_run(wrong_cls, config, prob, steps)
        except Exception:  # noqa: BLE001  (a mutant that cannot run this configuration)
            continue
        if _parting_step(wrong.path, ref.path, atol) is None:
            continue
        if stu.error is not None and (type(wrong.error) is not type(stu.error) or wrong.broke_at != stu.broke_at):
            continue  # a raised error is explained only by a mistake that raises the same error there
        if _reproduces(stu.path, wrong.path, ref.path):
            return hint, detail
    return None, ""


def _reproduces(stu: list[np.ndarray], wrong: list[np.ndarray], ref: list[np.ndarray]) -> bool:
    """True when ``stu`` follows ``wrong`` much more closely than ``wrong`` differs from ``ref``."""
    gap, miss = 0.0, 0.0
    for x, w, r in zip(stu, wrong, ref, strict=True):
        fx, fw = np.isfinite(x), np.isfinite(w)
        if not np.array_equal(fx, fw):
            return False
        if not fw.all():
            break
        miss = max(miss, float(np.max(np.abs(x - w))))
        if np.all(np.isfinite(r)):
            gap = max(gap, float(np.max(np.abs(w - r))))
    return miss <= 1e-3 * gap + 1e-14


def _error_hint(run: _Run) -> str:
    """A hint for an error no known mistake explains."""
    if run.broke_at == 0:
        return ("the check creates your optimizer as YourClass(params, **config): declare every "
                "hyperparameter in defaults_ (with torch's default) and accept them as keywords.")
    if isinstance(run.error, KeyError):
        return ("a state entry was read before it was created: create every buffer in init_state, "
                "which runs once per parameter before its first update_param.")
    return ""


def _defaults_hint(student_cls: Any, reference: Any, config: dict[str, Any]) -> str | None:
    """A hint when a hyperparameter left to its default has a different default than torch's."""
    import inspect

    declared = getattr(student_cls, "defaults_", None)
    if not isinstance(declared, dict):
        return None
    try:
        sig = inspect.signature(reference.__init__).parameters
    except (TypeError, ValueError):
        return None
    for name, value in declared.items():
        if name in config or name not in sig or sig[name].default is inspect.Parameter.empty:
            continue
        theirs = sig[name].default
        value = tuple(value) if isinstance(value, list) else value
        if isinstance(theirs, (int, float, tuple, bool)) and value != theirs:
            return (f"this run leaves {name} at its default: yours is {value!r}, torch's is {theirs!r}; "
                    "make defaults_ match torch.")
    return None


def _shape_hint(stu_path: list[np.ndarray], ref_path: list[np.ndarray]) -> str | None:
    """Hints read off the paths: parameters that never move, or a first step off by a constant factor."""
    if all(np.array_equal(x, stu_path[0]) for x in stu_path[1:]):
        return ("your parameters never changed: update p in place (p.add_(...), p.sub_(...), p -= ...); "
                "`p = p - ...` only rebinds a local name.")
    s, r = stu_path[1] - stu_path[0], ref_path[1] - ref_path[0]
    mask = np.abs(r) > 1e-12
    if mask.any() and np.all(np.isfinite(s)):
        ratio = s[mask] / r[mask]
        c = float(np.median(ratio))
        if np.allclose(ratio, c, rtol=1e-6) and np.allclose(s[~mask], 0.0, atol=1e-12) and not math.isclose(c, 1.0):
            if math.isclose(c, -1.0, rel_tol=1e-6):
                return "your steps go the other way: the update is theta <- theta - lr * direction (a sign)."
            return (f"your first step points the right way but is {c:.4g} times torch's: a factor is missing or "
                    "extra (lr, 1 - beta, a bias correction...).")
    return None


def _generic_hint(t: int, config: dict[str, Any]) -> str:
    if t == 1:
        return ("the very first update differs: check the sign and the size of the step "
                "(theta <- theta - lr * direction) and how the state starts.")
    return ("the first step agrees, later ones do not: look at the state carried between steps "
            "(buffers, step count t).")


def _nan_hint(config: dict[str, Any]) -> str:
    if "eps" in config:
        return "a division by a zero denominator: eps goes outside the square root, sqrt(v) + eps."
    return ("the run blew up: a division by zero (a missing eps, a bias correction 1 - beta^0 = 0), "
            "or a wrong sign or learning rate.")
