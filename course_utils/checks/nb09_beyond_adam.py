"""Checks of notebook 09 (beyond Adam): Lion from scratch, the Muon/AdamW parameter split, and
Newton-Schulz exactly as torch's Muon computes it; plus one grader per optimizer of the notebook
that runs `check_optimizer` with the problems, configurations and known mistakes of that optimizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ..optim_modern import MUON_COEFFICIENTS, newton_schulz
from .core import FAIL, PASS, CheckResult, guard, record_attempt
from .mistakes import default_configs
from .modern_mistakes import MODERN_GRADERS
from .optimizer import check_optimizer

__all__ = [
    "check_lion",
    "check_nadam",
    "check_radam",
    "check_adafactor",
    "check_muon",
    "check_schedule_free",
    "check_muon_split",
    "check_newton_schulz",
]


# --------------------------------------------------------------------------------------------
# One grader per optimizer: check_optimizer with the registered configurations and mistakes
# --------------------------------------------------------------------------------------------
def _grade(key: str, student_cls: Any) -> CheckResult:
    grader = MODERN_GRADERS[key]
    if grader.precheck is not None:
        try:
            early = grader.precheck(student_cls)
        except NotImplementedError:  # a stub: check_optimizer reports what is not implemented yet
            early = None
        if early is not None:  # counted like any verdict, so that its detail shows after repeated failures
            return record_attempt(early)
    result = check_optimizer(grader.wrap(student_cls), grader.wrap(grader.reference),
                             default_configs(grader.reference), problems=grader.problems,
                             mistakes=grader.mutants(), steps=grader.steps)
    result.title = f"{getattr(student_cls, '__name__', student_cls)} against {grader.reference_name}"
    return result


def check_nadam(student_cls: Any) -> CheckResult:
    """``student_cls`` must equal ``torch.optim.NAdam`` (float64, 1e-10) and its known mistakes are named."""
    return _grade("NAdam", student_cls)


def check_radam(student_cls: Any) -> CheckResult:
    """``student_cls`` must equal ``torch.optim.RAdam``."""
    return _grade("RAdam", student_cls)


def check_adafactor(student_cls: Any) -> CheckResult:
    """``student_cls`` must equal ``torch.optim.Adafactor`` (on square, wide and tall matrices and vectors)."""
    return _grade("Adafactor", student_cls)


def check_muon(student_cls: Any) -> CheckResult:
    """``student_cls`` must refuse non-2-D parameters and equal ``torch.optim.Muon`` bit for bit."""
    return _grade("Muon", student_cls)


def check_lion(student_cls: Any) -> CheckResult:
    """``student_cls`` must equal ``lion_pytorch.Lion``."""
    return _grade("Lion", student_cls)


def check_schedule_free(student_cls: Any) -> CheckResult:
    """``student_cls`` (with ``train()`` and ``eval()``) must equal ``schedulefree.AdamWScheduleFree``;
    the path compared is the eval weights after every step."""
    return _grade("ScheduleFreeAdamW", student_cls)


# --------------------------------------------------------------------------------------------
# The Muon / AdamW split
# --------------------------------------------------------------------------------------------
class _Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, 2 * width)
        self.down = nn.Linear(2 * width, width)


class _TinyLM(nn.Module):
    """An embedding named ``tok`` (not "embed"), blocks of norm + two linear layers, a head."""

    def __init__(self) -> None:
        super().__init__()
        self.tok = nn.Embedding(40, 8)
        self.blocks = nn.ModuleList([_Block(8), _Block(8)])
        self.final_norm = nn.LayerNorm(8)
        self.head = nn.Linear(8, 40, bias=False)


def _split_models() -> list[tuple[str, nn.Module]]:
    first = nn.ModuleDict({"embed": nn.Embedding(100, 32), "norm": nn.LayerNorm(32), "hidden1": nn.Linear(32, 64),
                           "hidden2": nn.Linear(64, 32), "head": nn.Linear(32, 100)})
    return [("the model of section 5", first), ("a small language model (embedding `tok`, two blocks)", _TinyLM())]


def _expected_split(model: nn.Module) -> tuple[set[int], dict[int, str]]:
    """ids of the Muon parameters, and every parameter's role."""
    muon, role = set(), {}
    for name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            full = f"{name}.{pname}" if name else pname
            if isinstance(module, nn.Embedding):
                role[id(p)] = f"embedding {full}"
            elif p.ndim != 2:
                role[id(p)] = f"{'normalization gain/shift' if isinstance(module, nn.LayerNorm) else 'bias'} {full}"
            elif name.split(".")[0] == "head":
                role[id(p)] = f"head {full}"
            else:
                role[id(p)] = f"hidden matrix {full}"
                muon.add(id(p))
    return muon, role


def check_muon_split(split_fn: Callable[[nn.Module], tuple[list, list]]) -> CheckResult:
    """``split_fn(model)`` must return ``(muon_params, adamw_params)``: the hidden weight matrices on
    Muon; biases, normalization parameters, embeddings and the head on AdamW; each parameter once."""
    title = "the Muon / AdamW parameter split"

    def body() -> CheckResult:
        for label, model in _split_models():
            out = split_fn(model)
            if not (isinstance(out, tuple) and len(out) == 2):
                return CheckResult(FAIL, title, f"{label}: return a pair (muon_params, adamw_params), got "
                                   f"{type(out).__name__}", "return muon, adamw")
            muon, adamw = [list(x) for x in out]
            want_muon, role = _expected_split(model)
            ids = [id(p) for p in muon + adamw]
            if len(ids) != len(set(ids)):
                return CheckResult(FAIL, title, f"{label}: a parameter is in both lists (or twice in one)",
                                   "each parameter goes to exactly one optimizer.")
            missing = [role[i] for i in role if i not in set(ids)]
            if missing:
                return CheckResult(FAIL, title, f"{label}: {len(missing)} parameter(s) in neither list, e.g. "
                                   f"{missing[0]}", "every parameter must be optimized by one of the two optimizers.")
            wrong_muon = [role[id(p)] for p in muon if id(p) not in want_muon]
            for kind, hint in (
                ("bias", "Muon applied to a bias: Muon orthogonalizes a matrix; a bias is a vector (torch.optim.Muon "
                         "raises ValueError for any parameter that is not 2-D). Vectors go to AdamW."),
                ("normalization", "Muon applied to a normalization gain or shift: a vector, not a matrix "
                                  "(torch.optim.Muon refuses it). Put it on AdamW."),
                ("embedding", "an embedding table is 2-D but it is a lookup: each row is a separate vector used "
                              "only by its own token, and orthogonalizing the table mixes them. Embeddings go to AdamW "
                              "(detect them by type, isinstance(module, nn.Embedding), not by name)."),
                ("head", "the output layer (head) is kept on AdamW in Muon's recipe, like the embedding."),
            ):
                hit = [r for r in wrong_muon if r.startswith(kind)]
                if hit:
                    return CheckResult(FAIL, title, f"{label}: your Muon list holds {hit[0]}", hint)
            left_out = [role[i] for i in want_muon if i not in {id(p) for p in muon}]
            if left_out:
                return CheckResult(FAIL, title, f"{label}: {left_out[0]} is on AdamW",
                                   "every hidden weight matrix (a 2-D weight of a linear layer other than the head) "
                                   "goes to Muon.")
            torch.optim.Muon(muon, lr=0.02)  # torch accepts the Muon list
        return CheckResult(PASS, title, "hidden matrices on Muon, everything else on AdamW, in both test models.")

    return guard(title, body)


# --------------------------------------------------------------------------------------------
# Newton-Schulz, bit for bit
# --------------------------------------------------------------------------------------------
def _ns_mistakes(M: torch.Tensor, steps: int) -> list[tuple[str, str, torch.Tensor]]:
    """(hint, detail, output) of the usual ways to get torch's orthogonalization slightly wrong: the
    hint names the concept (shown first), the detail how torch does it (after repeated failures)."""
    a, b, c = MUON_COEFFICIENTS

    def ns(*args: Any, **kw: Any) -> torch.Tensor:  # on a copy: in its own dtype, newton_schulz divides in place
        return newton_schulz(M.clone(), *args, **kw)

    def cast_after_norm() -> torch.Tensor:
        X = M.T if M.size(0) > M.size(1) else M
        X = (X / X.norm().clamp(min=1e-7)).bfloat16()
        out = newton_schulz(X.double(), MUON_COEFFICIENTS, steps, 1e-7, transpose_tall=False, normalize="none")
        return out.T if M.size(0) > M.size(1) else out

    return [
        ("compute in bfloat16, as torch does: your result is in another dtype, so every product rounds "
         "differently.",
         "convert with M.bfloat16() first; every product then rounds to bfloat16.",
         ns(MUON_COEFFICIENTS, steps, 1e-7, dtype=M.dtype)),
        ("no transposition: look at what torch does with a tall matrix (more rows than columns), i.e. which "
         "Gram matrix it forms.",
         "torch transposes a tall matrix first, so that X X^T is the small Gram matrix, and transposes the "
         "result back. Mathematically the same; in bfloat16 it rounds differently (and costs more).",
         ns(MUON_COEFFICIENTS, steps, 1e-7, transpose_tall=False)),
        ("the coefficients of the powers of X X^T are swapped: check which coefficient multiplies which power.",
         "B = b A + c A^2 with A = X X^T and (a, b, c) = (3.4445, -4.7750, 2.0315), i.e. "
         "torch.addmm(A, A, A, beta=b, alpha=c).",
         ns((a, c, b), steps, 1e-7)),
        ("these are the coefficients of the classic cubic iteration, not torch's quintic ones (it converges, "
         "but needs many more steps).",
         "the quintic coefficients are (a, b, c) = (3.4445, -4.7750, 2.0315); (1.5, -0.5, 0) is the cubic.",
         ns((1.5, -0.5, 0.0), steps, 1e-7)),
        ("one Newton-Schulz step too few: count your iterations.",
         "run exactly `steps` iterations (5 by default).",
         ns(MUON_COEFFICIENTS, steps - 1, 1e-7)),
        ("one Newton-Schulz step too many: count your iterations.",
         "run exactly `steps` iterations (5 by default).",
         ns(MUON_COEFFICIENTS, steps + 1, 1e-7)),
        ("normalize first: the iteration needs every singular value of its input to be at most 1 (without "
         "it, it blows up for large matrices).",
         "X = X / max(||X||_F, 1e-7) before the first iteration.",
         ns(MUON_COEFFICIENTS, steps, 1e-7, normalize="none")),
        ("the guard against a tiny norm: yours differs from torch's when the norm is small.",
         "torch clamps the norm, X / ||X||_F.clamp(min=eps); X / (||X||_F + eps) (Keller Jordan's code) "
         "rounds differently.",
         ns(MUON_COEFFICIENTS, steps, 1e-7, normalize="add")),
        ("the order of the cast to bfloat16 and the normalization differs from torch's.",
         "convert to bfloat16 first, then normalize in bfloat16 (torch divides the bfloat16 matrix by its "
         "bfloat16 norm).", cast_after_norm()),
    ]


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal dtype, shape and bits, nan matching nan (a blown-up iteration gives nan)."""
    return (a.dtype == b.dtype and a.shape == b.shape
            and bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all()))


def check_newton_schulz(student_fn: Callable[..., torch.Tensor]) -> CheckResult:
    """``student_fn(M, steps=5)`` must equal torch's ``_zeropower_via_newtonschulz`` bit for bit."""
    from torch.optim._muon import _zeropower_via_newtonschulz

    title = "Newton-Schulz orthogonalization against torch's Muon"

    def body() -> CheckResult:
        gen = torch.Generator().manual_seed(9)
        cases = [("a tall 48 x 20 matrix", (48, 20), 5), ("a wide 20 x 48 matrix", (20, 48), 5),
                 ("a square 24 x 24 matrix", (24, 24), 5), ("a tall 30 x 12 matrix with steps=3", (30, 12), 3),
                 ("a large-norm 16 x 40 matrix", (16, 40), 5), ("a tiny 12 x 30 matrix (norm below eps)", (12, 30), 5)]
        runs = []  # (label, M, steps, torch's result, the student's)
        for label, shape, steps in cases:
            M = torch.randn(*shape, generator=gen, dtype=torch.float64)
            M *= 300.0 if "large" in label else 3e-9 if "tiny" in label else 1.0
            want = _zeropower_via_newtonschulz(M, MUON_COEFFICIENTS, steps, 1e-7)
            got = student_fn(M.clone(), steps=steps) if steps != 5 else student_fn(M.clone())
            if not isinstance(got, torch.Tensor) or got.shape != want.shape:
                return CheckResult(FAIL, title, f"{label}: expected a tensor of shape {tuple(want.shape)}, got "
                                   f"{getattr(got, 'shape', type(got).__name__)}",
                                   "return a matrix of the input's shape (transpose back if you transposed).")
            runs.append((label, M, steps, want, got))
        failed = next(((label, want, got) for label, _, _, want, got in runs if not _same(got, want)), None)
        if failed is None:
            return CheckResult(PASS, title, f"bit for bit equal to torch's on {len(cases)} matrices (tall, wide, "
                               "square, steps=3, a large and a tiny norm).")
        label, want, got = failed
        diff = float((got.double() - want.double()).abs().max())
        msg = f"{label}: your result differs from torch's (max |difference| = {diff:.3g}, dtype {got.dtype})"
        # a known mistake explains the student's results when it reproduces them on every matrix (two
        # mistakes can both blow up on one matrix, never on all of them)
        wrongs = [_ns_mistakes(M, steps) for _, M, steps, _, _ in runs]
        for k, (hint, detail, _) in enumerate(wrongs[0]):
            if all(_same(run[4], w[k][2]) for run, w in zip(runs, wrongs, strict=True)):
                return CheckResult(FAIL, title, msg, hint, detail)
        if not bool(torch.isfinite(got).all()):
            return CheckResult(FAIL, title, f"{label}: your result has nan or inf values (torch's is finite)",
                               "the iteration blew up: look at the scale of its input (is it normalized?) and at "
                               "the coefficients.",
                               "normalize first, X / max(||X||_F, 1e-7), so that every singular value is at "
                               "most 1; and check the coefficients: B = b A + c A^2 with (a, b, c) = "
                               "(3.4445, -4.7750, 2.0315).")
        if got.dtype != torch.bfloat16:
            return CheckResult(FAIL, title, msg, wrongs[0][0][0], wrongs[0][0][1])
        return CheckResult(FAIL, title, msg, "to match bit for bit, every operation must round as torch's does: "
                           "the same operations, in the same order, in bfloat16.",
                           "in bfloat16: A = X @ X.T; B = torch.addmm(A, A, A, beta=b, alpha=c); "
                           "X = torch.addmm(X, B, X, beta=a).")

    return guard(title, body)
