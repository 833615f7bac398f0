"""Tests for course_utils.data: shapes, dtypes, seeding, pixel scaling, split sizes, bad arguments."""

import math
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.data import Split, cubic_data, linear_regression_data, load_digits

N_DIGITS = 1797  # scikit-learn's digits: 1797 images of 8x8 pixels


def _raw_digits():
    from sklearn.datasets import load_digits as sk_load

    return sk_load(return_X_y=True)


# ---------------------------------------------------------------------------------------------
# load_digits
# ---------------------------------------------------------------------------------------------
def test_digits_shapes_and_dtypes():
    s = load_digits()
    assert isinstance(s, Split)
    n_val = round(0.25 * N_DIGITS)
    assert s.X_train.shape == (N_DIGITS - n_val, 64)
    assert s.X_val.shape == (n_val, 64)
    assert s.y_train.shape == (N_DIGITS - n_val,)
    assert s.y_val.shape == (n_val,)
    assert s.X_train.dtype == torch.float32 and s.X_val.dtype == torch.float32
    assert s.y_train.dtype == torch.int64 and s.y_val.dtype == torch.int64
    assert s.n_features == 64


def test_digits_dtype_argument():
    s = load_digits(dtype=torch.float64)
    assert s.X_train.dtype == torch.float64 and s.X_val.dtype == torch.float64
    assert s.y_train.dtype == torch.int64


def test_digits_pixels_scaled_to_unit_interval():
    s = load_digits()
    X = torch.cat([s.X_train, s.X_val])
    assert float(X.min()) == 0.0
    assert float(X.max()) == 1.0  # the raw maximum 16 maps to exactly 1
    raw, _ = _raw_digits()
    # every value is a raw level k in 0..16 divided by 16
    assert torch.equal(torch.unique(X * 16).round(), torch.unique(torch.as_tensor(raw, dtype=torch.float32)))


def test_digits_labels_are_the_ten_classes():
    s = load_digits()
    y = torch.cat([s.y_train, s.y_val])
    assert set(y.tolist()) == set(range(10))


def test_digits_split_is_a_partition_of_the_data_set():
    s = load_digits(dtype=torch.float64)
    raw_X, raw_y = _raw_digits()
    X = torch.cat([s.X_train, s.X_val]).numpy() * 16
    y = torch.cat([s.y_train, s.y_val]).numpy()
    got = Counter((tuple(np.rint(r).astype(int)), int(c)) for r, c in zip(X, y, strict=True))
    want = Counter((tuple(r.astype(int)), int(c)) for r, c in zip(raw_X, raw_y, strict=True))
    assert got == want  # same images with the same labels, none lost, none duplicated


def test_digits_seed_determines_the_split():
    a, b, c = load_digits(seed=3), load_digits(seed=3), load_digits(seed=4)
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_val, b.y_val)
    assert not torch.equal(a.X_train, c.X_train)


def test_digits_split_does_not_depend_on_the_global_rng():
    torch.manual_seed(0)
    a = load_digits()
    torch.manual_seed(123)
    torch.rand(10)
    b = load_digits()
    assert torch.equal(a.X_val, b.X_val)


@settings(max_examples=15, deadline=None)
@given(st.floats(min_value=0.01, max_value=0.99))
def test_digits_split_sizes_follow_val_fraction(f):
    s = load_digits(val_fraction=f)
    n_val = int(round(f * N_DIGITS))
    assert len(s.X_val) == len(s.y_val) == n_val
    assert len(s.X_train) == len(s.y_train) == N_DIGITS - n_val


@pytest.mark.parametrize("f", [0.0, 1.0, -0.1, 1.5])
def test_digits_bad_val_fraction_raises(f):
    with pytest.raises(ValueError, match="val_fraction"):
        load_digits(val_fraction=f)


def test_split_datasets():
    s = load_digits()
    tr, va = s.train_dataset(), s.val_dataset()
    assert len(tr) == len(s.X_train) and len(va) == len(s.X_val)
    x0, y0 = tr[0]
    assert torch.equal(x0, s.X_train[0]) and int(y0) == int(s.y_train[0])


# ---------------------------------------------------------------------------------------------
# linear_regression_data
# ---------------------------------------------------------------------------------------------
def test_linear_shapes_dtypes_and_design():
    X, y = linear_regression_data(n=200)
    assert X.shape == (200, 2) and y.shape == (200,)
    assert X.dtype == torch.float64 and y.dtype == torch.float64
    assert torch.all(X[:, 0] == 1.0)  # the intercept column
    assert float(X[:, 1].min()) >= -1.0 and float(X[:, 1].max()) <= 1.0
    X32, y32 = linear_regression_data(n=10, dtype=torch.float32)
    assert X32.dtype == torch.float32 and y32.dtype == torch.float32


def test_linear_seeded():
    a = linear_regression_data(n=50, seed=7)
    b = linear_regression_data(n=50, seed=7)
    c = linear_regression_data(n=50, seed=8)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


@settings(max_examples=25, deadline=None)
@given(st.floats(-5, 5), st.floats(-5, 5), st.integers(1, 50))
def test_linear_noise_free_is_exact(w0, w1, n):
    X, y = linear_regression_data(n=n, w_true=(w0, w1), noise=0.0)
    torch.testing.assert_close(y, X @ torch.tensor([w0, w1], dtype=torch.float64))


def test_linear_least_squares_recovers_w_true_and_noise_level():
    X, y = linear_regression_data(n=20000, w_true=(-1.0, 3.0), noise=0.5, seed=1)
    w = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
    # standard errors are about 0.5 / sqrt(20000) ~ 0.004 (and sqrt(3) times that for w1)
    assert torch.allclose(w, torch.tensor([-1.0, 3.0], dtype=torch.float64), atol=0.05)
    resid = y - X @ w
    assert abs(float(resid.std()) - 0.5) < 0.02


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": -3}, {"noise": -0.1}])
def test_linear_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        linear_regression_data(**kwargs)


# ---------------------------------------------------------------------------------------------
# cubic_data
# ---------------------------------------------------------------------------------------------
def test_cubic_shapes_and_features():
    X, y = cubic_data(n=30)
    assert X.shape == (30, 2) and y.shape == (30,)
    assert X.dtype == torch.float64
    x = X[:, 1]
    torch.testing.assert_close(X[:, 0], x**3)
    assert float(x.min()) >= -2.0 and float(x.max()) <= 2.0


def test_cubic_noise_free_and_seeded():
    X, y = cubic_data(n=25, coef=(3.0, 2.0), noise=0.0)
    torch.testing.assert_close(y, 3.0 * X[:, 1] ** 3 + 2.0 * X[:, 1])
    a, b = cubic_data(seed=5), cubic_data(seed=5)
    assert torch.equal(a[1], b[1])
    assert not torch.equal(cubic_data(seed=5)[1], cubic_data(seed=6)[1])


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"noise": -1.0}])
def test_cubic_bad_arguments_raise(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        cubic_data(**kwargs)


def test_digits_file_reader_equals_sklearn():
    from sklearn.datasets import load_digits as sk_load

    from course_utils.data import _digits_arrays

    X, y = _digits_arrays()
    X_sk, y_sk = sk_load(return_X_y=True)
    assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)


# ---------------------------------------------------------------------------------------------
# Split.train_loader
# ---------------------------------------------------------------------------------------------
def _epoch(loader):
    xs, ys = zip(*loader, strict=True)
    return [len(x) for x in xs], torch.cat(xs), torch.cat(ys)


@pytest.mark.parametrize("batch_size", [1, 32, 100, 5000])
def test_train_loader_keeps_the_last_partial_batch(batch_size):
    s = load_digits()
    n = len(s.X_train)
    loader = s.train_loader(batch_size)
    sizes, _, _ = _epoch(loader)
    assert len(loader) == len(sizes) == -(-n // batch_size)  # ceil(N / B)
    assert sum(sizes) == n
    assert all(size == min(batch_size, n) for size in sizes[:-1])


def test_train_loader_epoch_is_a_permutation_of_the_training_set():
    s = load_digits()
    _, X, y = _epoch(s.train_loader(32))
    key = lambda X, y: sorted(map(tuple, torch.cat([X, y[:, None].to(X.dtype)], 1).tolist()))  # noqa: E731
    assert key(X, y) == key(s.X_train, s.y_train)
    assert not torch.equal(X, s.X_train)  # shuffled


def test_train_loader_is_seeded_and_reshuffles_every_epoch():
    s = load_digits()
    a, b, c = s.train_loader(32, seed=0), s.train_loader(32, seed=0), s.train_loader(32, seed=1)
    a1, a2 = _epoch(a)[2], _epoch(a)[2]
    b1, b2 = _epoch(b)[2], _epoch(b)[2]
    assert torch.equal(a1, b1) and torch.equal(a2, b2)  # same seed, same batches, epoch after epoch
    assert not torch.equal(a1, a2)  # a new permutation in the second epoch
    assert not torch.equal(a1, _epoch(c)[2])  # another seed, another order


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, None])
def test_train_loader_rejects_a_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        load_digits().train_loader(bad)


def test_train_loader_rejects_a_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        load_digits().train_loader(32, seed=0.5)


@pytest.mark.parametrize("batch_size, seed", [(32, 0), (128, 1), (1000, 7)])
def test_train_loader_gives_the_batches_of_a_shuffling_dataloader(batch_size, seed):
    s = load_digits()
    ours = s.train_loader(batch_size, seed)
    ref = torch.utils.data.DataLoader(s.train_dataset(), batch_size=batch_size, shuffle=True,
                                      generator=torch.Generator().manual_seed(seed))
    for _ in range(3):  # three epochs: the reshuffles agree too
        for (x1, y1), (x2, y2) in zip(ours, ref, strict=True):
            assert torch.equal(x1, x2) and torch.equal(y1, y2)


def test_train_loader_reshuffles_every_epoch_in_a_reproducible_order():
    data = load_digits()
    loader = data.train_loader(64, seed=3)
    first = [yb.clone() for _, yb in loader]
    second = [yb.clone() for _, yb in loader]
    again = [yb.clone() for _, yb in data.train_loader(64, seed=3)]
    assert len(first) == math.ceil(len(data.y_train) / 64)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    assert torch.equal(torch.cat(first).sort().values, data.y_train.sort().values)  # each example once
    with pytest.raises(ValueError, match="batch_size"):
        data.train_loader(0)
