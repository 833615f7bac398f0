"""Numbers that reproduce on every machine: `fmt_diff` prints a rounding-level difference as
"< 1e-12", and `LastBitNudge` simulates another CPU (the perturbation check) by moving the last
bit of floating-point results.

Another processor, thread count or library build computes sums, matrix products and functions
such as ``exp`` or ``tanh`` in another order or with another approximation, so their results
differ in the last bit or two. Every other PyTorch operation (``+``, ``*``, ``/``, ``sqrt``,
copies, indexing) is correctly rounded by IEEE 754 and gives the same bits everywhere.

`LastBitNudge` is a ``TorchDispatchMode`` that reproduces exactly that kind of difference: after
each operation of the first kind (`NUDGED_OPS`: reductions, BLAS and LAPACK, transcendental
functions, the random draws that make initial weights), it moves every finite, non-zero element
of the result by one unit in the last place:

* ``rule="flip"``: flip the lowest bit of the significand (up for some values, down for others,
  decided by the value itself);
* ``rule="up"``: ``nextafter(x, +inf)`` for every element.

The nudge is a deterministic function of the result, as on a real machine: two identical
computations still agree bit for bit, so a notebook that prints "difference 0.0" between two
runs of the same operations keeps printing it. Because it works below autograd, the backward
pass is nudged too. A printed number that moves under it depends on the last bits of the
arithmetic and is not robust.

`setup_notebook` turns it on when the environment variable ``COURSE_NUMERICS`` is ``flip`` or
``up`` (``tests/perturbation.py`` and ``make perturb`` set it); students never need it.
"""

from __future__ import annotations

import os

import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["NUDGED_OPS", "LastBitNudge", "fmt_diff", "nudge_last_bit", "numerics_from_env"]


def fmt_diff(diff: float, floor: float = 1e-12) -> str:
    """A difference for printing: ``"< 1e-12"`` when it is at the level of float rounding, else
    ``"3.2e-05"``. The exact size of a rounding difference (1.1e-16 or 2.2e-16) depends on the
    CPU and the order of operations, so printing it would make the output machine dependent."""
    diff = abs(float(diff))
    if diff < floor:
        return f"< {floor:.0e}".replace("e-0", "e-")
    return f"{diff:.1e}"

_aten = torch.ops.aten

_NAMES = (
    # reductions and products: the order of the additions depends on the CPU and thread count
    "sum", "mean", "prod", "cumsum", "cumprod", "nansum", "norm", "linalg_vector_norm", "var",
    "std", "var_mean", "std_mean", "logsumexp", "dot", "vdot", "mv", "addmv", "mm", "addmm", "bmm",
    "baddbmm", "addbmm", "_softmax", "_log_softmax", "_softmax_backward_data",
    "_log_softmax_backward_data", "nll_loss_forward", "nll_loss_backward", "nll_loss2d_forward",
    "mse_loss", "mse_loss_backward", "binary_cross_entropy", "native_layer_norm",
    "native_layer_norm_backward", "native_batch_norm", "native_batch_norm_backward",
    "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "convolution",
    "convolution_backward", "embedding_dense_backward", "_embedding_bag",
    "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention_for_cpu_backward",
    # LAPACK
    "_linalg_eigh", "linalg_eig", "_linalg_svd", "linalg_qr", "_linalg_solve_ex", "linalg_solve",
    "linalg_cholesky_ex", "linalg_lu_factor_ex", "linalg_inv_ex", "_linalg_det", "_linalg_slogdet",
    "linalg_lstsq", "linalg_eigvals",
    # functions evaluated by vectorised approximations (SLEEF) on some CPUs and libm on others
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sigmoid", "sin", "cos", "tan",
    "asin", "acos", "atan", "atan2", "sinh", "cosh", "erf", "erfc", "erfinv", "pow", "softplus",
    "gelu", "silu", "elu", "tanh_backward", "sigmoid_backward", "gelu_backward", "silu_backward",
    "softplus_backward", "lerp", "addcmul", "addcdiv",
    # random draws (initial weights, noise): a start nudged by one ulp
    "normal", "normal_", "uniform_", "randn", "rand", "randn_like", "rand_like",
)
NUDGED_OPS = frozenset(getattr(_aten, name) for name in _NAMES if hasattr(_aten, name))
"""The operation packets whose floating-point results `LastBitNudge` moves by one ulp."""

_INT_VIEW = {torch.float64: torch.int64, torch.float32: torch.int32, torch.bfloat16: torch.int16,
             torch.float16: torch.int16}


def nudge_last_bit(x: torch.Tensor, rule: str = "flip") -> None:
    """Move every finite, non-zero element of the floating-point tensor ``x`` by one ulp, in place.

    ``rule="flip"`` flips the lowest significand bit; ``rule="up"`` is ``nextafter(x, +inf)``.
    """
    if x.dtype not in _INT_VIEW or x.numel() == 0 or x.is_complex():
        return
    keep = ~torch.isfinite(x) | (x == 0)
    if rule == "flip":
        if not x.is_contiguous():
            flipped = x.contiguous()
            nudge_last_bit(flipped, rule)
            x.copy_(flipped)
            return
        bits = x.view(_INT_VIEW[x.dtype])
        bits.bitwise_xor_(keep.logical_not().to(bits.dtype))
    elif rule == "up":
        x.copy_(torch.where(keep, x, torch.nextafter(x, torch.full_like(x, float("inf")))))
    else:
        raise ValueError(f"rule must be 'flip' or 'up', got {rule!r}")


class LastBitNudge(TorchDispatchMode):
    """While active, every result of an operation in ``ops`` is moved by one ulp (see the module)."""

    def __init__(self, rule: str = "flip", ops: frozenset = NUDGED_OPS) -> None:
        if rule not in ("flip", "up"):
            raise ValueError(f"rule must be 'flip' or 'up', got {rule!r}")
        super().__init__()
        self.rule = rule
        self.ops = ops
        self.count = 0  # how many results were nudged

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket in self.ops:
            for t in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(t, torch.Tensor) and t.is_floating_point():
                    nudge_last_bit(t, self.rule)
                    self.count += 1
        return out


def numerics_from_env() -> LastBitNudge | None:
    """The `LastBitNudge` that ``COURSE_NUMERICS`` asks for (``flip`` or ``up``), or None if unset."""
    rule = os.environ.get("COURSE_NUMERICS", "").strip()
    if not rule or rule == "exact":
        return None
    if rule not in ("flip", "up"):
        raise ValueError(f"COURSE_NUMERICS must be 'flip', 'up' or unset, got {rule!r}")
    return LastBitNudge(rule)
