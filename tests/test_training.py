"""Tests for course_utils.training: what train() records, how it steps schedulers, when it stops."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_utils.training import History, evaluate, make_mlp, train

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _regression(n=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=gen)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(n, 1, generator=gen)
    return X, y


def _loader(X, y, batch_size, drop_last=False):
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False, drop_last=drop_last)


# ---------------------------------------------------------------------------------------------
# make_mlp
# ---------------------------------------------------------------------------------------------
def test_make_mlp_layers():
    m = make_mlp([64, 32, 16, 10])
    linears = [layer for layer in m if isinstance(layer, nn.Linear)]
    assert [(lin.in_features, lin.out_features) for lin in linears] == [(64, 32), (32, 16), (16, 10)]
    assert isinstance(m[-1], nn.Linear)  # no activation after the output layer
    assert sum(isinstance(layer, nn.ReLU) for layer in m) == 2
    assert sum(isinstance(layer, nn.Tanh) for layer in make_mlp([4, 8, 8, 2], activation=nn.Tanh)) == 2


def test_make_mlp_seeded():
    a, b, c = make_mlp([5, 7, 2], seed=1), make_mlp([5, 7, 2], seed=1), make_mlp([5, 7, 2], seed=2)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a[0].weight, c[0].weight)


@pytest.mark.parametrize("sizes", [[], [10]])
def test_make_mlp_needs_two_sizes(sizes):
    with pytest.raises(ValueError, match="sizes"):
        make_mlp(sizes)


# ---------------------------------------------------------------------------------------------
# What train() records
# ---------------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 30), batch=st.integers(1, 12), epochs=st.integers(1, 3), drop_last=st.booleans())
def test_one_loss_and_lr_per_step(n, batch, epochs, drop_last):
    X, y = _regression(n)
    loader = _loader(X, y, batch, drop_last)
    if len(loader) == 0:
        return  # drop_last with batch > n: no step at all (covered by the empty-loader test)
    model = nn.Linear(3, 1)
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), loader, epochs, progress=False)
    steps = epochs * len(loader)
    assert len(hist.step_loss) == len(hist.step_lr) == steps
    assert len(hist.epoch_train_loss) == len(hist.epoch_lr) == epochs
    assert hist.epoch_val_loss == [] and math.isnan(hist.final_val_loss)


def test_step_loss_is_the_loss_before_the_update_and_epoch_loss_is_weighted():
    X, y = _regression(10)
    loader = _loader(X, y, 4)  # batches of 4, 4, 2
    model = nn.Linear(3, 1)
    reference = nn.Linear(3, 1)
    reference.load_state_dict(model.state_dict())
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), loader, 1, progress=False)
    # replay by hand
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    losses = []
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(reference(xb), yb)
        losses.append(float(loss.detach()))
        loss.backward()
        opt.step()
    assert hist.step_loss == pytest.approx(losses, rel=1e-6)
    weighted = (4 * losses[0] + 4 * losses[1] + 2 * losses[2]) / 10
    assert hist.epoch_train_loss[0] == pytest.approx(weighted, rel=1e-6)
    assert hist.epoch_train_loss[0] != pytest.approx(sum(losses) / 3, rel=1e-6)  # not the plain mean
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q)


def test_validation_metrics_and_accuracy():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(60, 2, generator=gen)
    y = (X[:, 0] > 0).long()
    model = make_mlp([2, 8, 2], seed=0)
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.5), nn.CrossEntropyLoss(),
                 _loader(X, y, 10), 30, val_data=(X, y), progress=False)
    assert len(hist.epoch_val_loss) == len(hist.epoch_val_acc) == 30
    assert hist.final_val_acc == hist.epoch_val_acc[-1] > 0.9  # a linearly separable problem
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), X, y)
    assert loss == pytest.approx(hist.final_val_loss) and acc == pytest.approx(hist.final_val_acc)
    assert all(0.0 <= a <= 1.0 for a in hist.epoch_train_acc)


def test_regression_accuracy_is_nan():
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.01), nn.MSELoss(), _loader(X, y, 4), 1,
                 val_data=(X, y), progress=False)
    assert math.isnan(hist.epoch_train_acc[0]) and math.isnan(hist.final_val_acc)
    assert math.isnan(evaluate(model, nn.MSELoss(), X, y)[1])


def test_evaluate_restores_training_mode_and_does_not_track_gradients():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    X, y = _regression(8)
    model.train()
    evaluate(model, nn.MSELoss(), X, y)
    assert model.training
    model.eval()
    evaluate(model, nn.MSELoss(), X, y)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())


def test_training_on_digits_learns():
    from course_utils.data import load_digits

    s = load_digits()
    model = make_mlp([64, 32, 10], seed=0)
    loader = DataLoader(s.train_dataset(), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.2), nn.CrossEntropyLoss(), loader, 10,
                 val_data=(s.X_val, s.y_val), progress=False)
    assert not hist.diverged
    assert hist.final_val_acc > 0.9
    assert hist.epoch_train_loss[-1] < hist.epoch_train_loss[0]


# ---------------------------------------------------------------------------------------------
# Schedulers
# ---------------------------------------------------------------------------------------------
def test_scheduler_stepped_per_step():
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    hist = train(model, opt, nn.MSELoss(), _loader(X, y, 4), 2, scheduler=sched,
                 scheduler_interval="step", progress=False)
    # 3 steps per epoch: the lr used at step i is 1e-2 * 0.5^i
    assert hist.step_lr == pytest.approx([1e-2 * 0.5**i for i in range(6)])
    # epoch_lr is the lr at the end of each epoch (after that epoch's last scheduler step)
    assert hist.epoch_lr == pytest.approx([1e-2 * 0.5**3, 1e-2 * 0.5**6])


def test_scheduler_stepped_per_epoch():
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    hist = train(model, opt, nn.MSELoss(), _loader(X, y, 4), 3, scheduler=sched,
                 scheduler_interval="epoch", progress=False)
    assert hist.step_lr == pytest.approx([1e-2 * 0.5**e for e in range(3) for _ in range(3)])
    assert hist.epoch_lr == pytest.approx([1e-2, 0.5e-2, 0.25e-2])
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2 * 0.5**3)


def test_default_interval_is_per_epoch():
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0 / (1 + k))
    hist = train(model, opt, nn.MSELoss(), _loader(X, y, 6), 3, scheduler=sched, progress=False)
    assert hist.step_lr == pytest.approx([1.0, 1.0, 0.5, 0.5, 1 / 3, 1 / 3])


class _RecordingPlateau(torch.optim.lr_scheduler.ReduceLROnPlateau):
    """A ReduceLROnPlateau that remembers the metrics it was stepped with."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def step(self, metrics, *args, **kwargs):
        self.seen.append(float(metrics))
        return super().step(metrics, *args, **kwargs)


@pytest.mark.parametrize("interval", ["step", "epoch"])
def test_plateau_stepped_once_per_epoch_with_the_validation_loss(interval):
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    sched = _RecordingPlateau(opt, patience=0)
    hist = train(model, opt, nn.MSELoss(), _loader(X, y, 4), 4, val_data=(X[:6], y[:6]),
                 scheduler=sched, scheduler_interval=interval, progress=False)
    assert sched.seen == pytest.approx(hist.epoch_val_loss)


def test_plateau_without_validation_uses_the_training_loss_and_reduces_the_lr():
    X, y = _regression(12)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e-7)  # so small that the loss barely moves
    sched = _RecordingPlateau(opt, patience=0, factor=0.5)
    hist = train(model, opt, nn.MSELoss(), _loader(X, y, 4), 4, scheduler=sched, progress=False)
    assert sched.seen == pytest.approx(hist.epoch_train_loss)
    # flat loss: after the first epoch every epoch is "no improvement" with patience 0
    assert hist.epoch_lr[-1] < hist.epoch_lr[0]


# ---------------------------------------------------------------------------------------------
# Divergence and bad arguments
# ---------------------------------------------------------------------------------------------
def test_divergence_stops_the_run():
    X, y = _regression(40)
    X = X * 100  # large inputs: lr 1 blows up at once
    model = nn.Linear(3, 1)
    hist = train(model, torch.optim.SGD(model.parameters(), lr=1.0), nn.MSELoss(), _loader(X, y, 4), 50,
                 progress=False)
    assert hist.diverged
    assert not math.isfinite(hist.step_loss[-1])
    assert all(math.isfinite(v) for v in hist.step_loss[:-1])  # it stopped at the first bad loss
    assert len(hist.epoch_train_loss) < 50
    assert len(hist.step_loss) < 10 * 50


def test_stable_run_does_not_flag_divergence():
    X, y = _regression(40)
    model = nn.Linear(3, 1)
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.05), nn.MSELoss(), _loader(X, y, 8), 5,
                 progress=False)
    assert not hist.diverged and len(hist.epoch_train_loss) == 5
    assert hist.epoch_train_loss[-1] < hist.epoch_train_loss[0]


@pytest.mark.parametrize("kwargs, name", [({"epochs": 0}, "epochs"), ({"epochs": -1}, "epochs"),
                                          ({"scheduler_interval": "batch"}, "scheduler_interval")])
def test_bad_arguments_raise(kwargs, name):
    X, y = _regression(8)
    model = nn.Linear(3, 1)
    args = {"epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=name):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), _loader(X, y, 4),
              args.pop("epochs"), progress=False, **args)


def test_one_shot_generator_raises_instead_of_recording_zero_losses():
    X, y = _regression(8)
    model = nn.Linear(3, 1)
    batches = ((X[i:i + 4], y[i:i + 4]) for i in range(0, 8, 4))  # exhausted after one epoch
    with pytest.raises(ValueError, match="train_loader"):
        train(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), batches, 2, progress=False)


def test_list_of_batches_and_device_argument():
    X, y = _regression(8)
    model = nn.Linear(3, 1)
    batches = [(X[:4], y[:4]), (X[4:], y[4:])]
    hist = train(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), batches, 3,
                 device="cpu", progress=False)
    assert isinstance(hist, History) and len(hist.step_loss) == 6


def test_progress_false_prints_nothing(capsys):
    X, y = _regression(8)
    model = nn.Linear(3, 1)
    train(model, torch.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), _loader(X, y, 4), 2, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_recording_sgd_counts_steps_and_records_the_lr_each_used():
    from course_utils.training import RecordingSGD

    torch.manual_seed(0)
    a, b = torch.nn.Linear(3, 1).double(), torch.nn.Linear(3, 1).double()
    b.load_state_dict(a.state_dict())
    opt = RecordingSGD(a.parameters(), lr=0.1, momentum=0.9)
    ref = torch.optim.SGD(b.parameters(), lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    x = torch.randn(8, 3, dtype=torch.float64)
    for k in range(4):
        for model, o in ((a, opt), (b, ref)):
            o.zero_grad()
            model(x).square().mean().backward()
            o.step()
        sched.step()
        for g in ref.param_groups:
            g["lr"] = 0.1 * 0.5 ** (k + 1)
    assert opt.n_steps == 4 and opt.lrs == [0.1, 0.05, 0.025, 0.0125]
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)  # the same steps as torch's SGD
