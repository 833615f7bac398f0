"""course_utils.transformer: shapes, causality, parameter count, seeding, double backward, generation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils.hessian import flatten, hvp
from course_utils.transformer import CharTransformer, TransformerConfig, lm_loss

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def small(seed=0, dtype=F64, **kw):
    cfg = TransformerConfig(**{"vocab_size": 11, "context": 8, "d_model": 12, "n_heads": 3, "n_layers": 2, **kw})
    return CharTransformer(cfg, seed=seed, dtype=dtype)


def test_shapes_and_dtype():
    model = small()
    idx = torch.randint(0, 11, (5, 8), generator=torch.Generator().manual_seed(0))
    assert model(idx).shape == (5, 8, 11)
    assert model(idx[:, :3]).shape == (5, 3, 11)
    assert model(idx).dtype == F64
    assert small(dtype=torch.float32)(idx).dtype == torch.float32
    with pytest.raises(ValueError, match="exceeds the context"):
        model(torch.zeros(1, 9, dtype=torch.int64))


def test_config_validation():
    with pytest.raises(ValueError, match="multiple of n_heads"):
        TransformerConfig(10, d_model=10, n_heads=3)
    with pytest.raises(ValueError, match="n_layers"):
        TransformerConfig(10, n_layers=0)
    with pytest.raises(ValueError, match="vocab_size"):
        TransformerConfig(True)


def test_parameter_count_formula():
    V, T, d, L, r = 11, 8, 12, 2, 4
    model = small()
    per_block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * r * d + r * d) + (r * d * d + d)
    expected = V * d + T * d + L * per_block + 2 * d + d * V
    assert sum(p.numel() for p in model.parameters()) == expected
    names = {n for n, _ in model.named_parameters()}
    assert {"tok_emb.weight", "pos_emb.weight", "ln_f.weight", "head.weight", "blocks.1.attn.qkv.weight"} <= names
    assert "head.bias" not in names


def _run_with_future_changed(model, t):
    gen = torch.Generator().manual_seed(1)
    idx = torch.randint(0, 11, (3, 8), generator=gen)
    other = idx.clone()
    other[:, t + 1:] = (other[:, t + 1:] + 1 + torch.randint(0, 9, other[:, t + 1:].shape, generator=gen)) % 11
    return model(idx), model(other)


@pytest.mark.parametrize("t", [0, 3, 6])
def test_causality_output_at_t_ignores_later_tokens(t):
    model = small()
    a, b = _run_with_future_changed(model, t)
    assert torch.allclose(a[:, : t + 1], b[:, : t + 1], rtol=0, atol=1e-12)
    assert not torch.allclose(a[:, t + 1:], b[:, t + 1:], atol=1e-6)  # later positions do see the change


def test_causality_test_catches_a_missing_mask():
    model = small()
    for block in model.blocks:
        block.attn.mask.zero_()  # attend everywhere
    a, b = _run_with_future_changed(model, 3)
    assert not torch.allclose(a[:, :4], b[:, :4], rtol=0, atol=1e-12)


def test_seeding_is_deterministic_and_local():
    torch.manual_seed(0)
    a = flatten(list(small(seed=3).parameters()))
    torch.manual_seed(99)  # the global RNG plays no part
    b = flatten(list(small(seed=3).parameters()))
    c = flatten(list(small(seed=4).parameters()))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_initialisation():
    model = small(n_layers=2, d_model=48, n_heads=4, context=64, vocab_size=50)
    assert float(model.tok_emb.weight.detach().std()) == pytest.approx(0.02, rel=0.1)
    assert float(model.blocks[0].attn.qkv.weight.detach().std()) == pytest.approx(0.02, rel=0.1)
    assert float(model.blocks[0].attn.proj.weight.detach().std()) == pytest.approx(0.01, rel=0.15)  # 0.02 / sqrt(2 * 2)
    assert torch.equal(model.blocks[0].ln1.weight, torch.ones(48, dtype=F64))
    assert torch.equal(model.blocks[1].mlp[0].bias, torch.zeros(192, dtype=F64))
    # at initialisation the prediction is nearly uniform: loss close to ln V
    idx = torch.randint(0, 50, (4, 64), generator=torch.Generator().manual_seed(0))
    assert float(lm_loss(model, idx, idx).detach()) == pytest.approx(torch.log(torch.tensor(50.0)).item(), rel=0.05)


def test_double_backward_gives_the_hessian_vector_product():
    model = small()
    params = list(model.parameters())
    gen = torch.Generator().manual_seed(2)
    x = torch.randint(0, 11, (4, 8), generator=gen)
    y = torch.randint(0, 11, (4, 8), generator=gen)
    v = torch.randn(sum(p.numel() for p in params), generator=gen, dtype=F64)
    v = v / v.norm()
    hv = hvp(lm_loss(model, x, y), params, v)

    def grad_at(shift):
        with torch.no_grad():
            for p, dp in zip(params, torch.split(shift, [p.numel() for p in params]), strict=True):
                p.add_(dp.view_as(p))
        g = flatten(torch.autograd.grad(lm_loss(model, x, y), params))
        with torch.no_grad():
            for p, dp in zip(params, torch.split(shift, [p.numel() for p in params]), strict=True):
                p.sub_(dp.view_as(p))
        return g

    h = 1e-5
    fd = (grad_at(h * v) - grad_at(-h * v)) / (2 * h)
    assert float((hv - fd).norm() / fd.norm()) < 1e-6


def test_lm_loss_is_mean_cross_entropy():
    model = small()
    x = torch.randint(0, 11, (2, 5), generator=torch.Generator().manual_seed(0))
    y = torch.roll(x, 1, dims=1)
    logits = model(x)
    manual = -torch.log_softmax(logits, -1).gather(-1, y[..., None]).mean()
    assert torch.allclose(lm_loss(model, x, y), manual, rtol=1e-12)


def test_generate_greedy_sampled_and_margins():
    model = small()
    prompt = torch.tensor([1, 2, 3])
    out, margin = model.generate(prompt, 12, greedy=True)
    assert out.shape == (15,) and margin.shape == (12,)
    assert torch.equal(out[:3], prompt)
    assert bool((margin >= 0).all())
    # greedy: each new id is the argmax given everything before (the last `context` ids)
    for k in range(3, 15):
        ctx = out[max(0, k - 8):k]
        assert int(model(ctx[None])[0, -1].argmax()) == int(out[k])
    s1, _ = model.generate(prompt, 10, generator=torch.Generator().manual_seed(7))
    s2, _ = model.generate(prompt, 10, generator=torch.Generator().manual_seed(7))
    assert torch.equal(s1, s2)
    batch, m = model.generate(torch.zeros(2, 1, dtype=torch.int64), 4, greedy=True)
    assert batch.shape == (2, 5) and m.shape == (2, 4)
    assert model.training  # mode restored
    with pytest.raises(ValueError, match="temperature"):
        model.generate(prompt, 2, temperature=0.0)


def test_is_a_module_with_buffers_that_follow_dtype():
    model = small(dtype=torch.float32)
    assert isinstance(model, nn.Module)
    assert model.blocks[0].attn.mask.dtype == torch.float32
    assert "mask" not in dict(model.state_dict())  # not persistent
