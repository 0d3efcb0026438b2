import math
import socket

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, TensorDataset
from torchvision.transforms import v2

from ssv2.engine import (
    accuracy,
    bf16_native,
    build_optimizer,
    build_scheduler,
    confusion_matrix,
    evaluate,
    input_format,
    mean_class_accuracy,
    pair_accuracy,
    per_class_accuracy,
    predict,
    prepare_model,
    train_one_epoch,
    use_bf16,
    view_log_probs,
)
from ssv2.models import build_model


def test_accuracy_by_hand():
    output = torch.tensor(
        [
            [0.1, 0.5, 0.2, 0.0, 0.0, 0.0, 0.9],  # ranks 6, 1, 2, 0, ...
            [0.9, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        ]
    )
    target = torch.tensor([1, 0, 0, 6])  # top-2, top-1, last (7th), top-1
    assert accuracy(output, target, topk=(1, 2, 5)) == [50.0, 75.0, 75.0]
    # Fewer classes than k: everything is within the top k.
    assert accuracy(output[:3, :3], torch.tensor([1, 2, 0]), topk=(1, 5)) == [pytest.approx(100 / 3), 100.0]


def test_optimizer_no_decay_on_norms_and_biases():
    model = nn.Sequential(nn.Conv3d(3, 4, 3), nn.BatchNorm3d(4), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(2, 3, 3, 3, 3))
    for name, cls in (("sgd", torch.optim.SGD), ("adamw", torch.optim.AdamW)):
        optimizer = build_optimizer(model, name, lr=0.1, momentum=0.9, weight_decay=1e-4)
        assert isinstance(optimizer, cls)
        decay, no_decay = optimizer.param_groups
        assert decay["weight_decay"] == 1e-4 and no_decay["weight_decay"] == 0.0
        assert {id(p) for p in decay["params"]} == {id(model[0].weight), id(model[3].weight)}
        assert len(no_decay["params"]) == 4  # conv bias, BN weight and bias, linear bias
    assert optimizer.param_groups[0]["lr"] == 0.1
    sgd = build_optimizer(model, "sgd", lr=0.1, momentum=0.9, weight_decay=0)
    assert sgd.param_groups[0]["momentum"] == 0.9 and not sgd.param_groups[0]["nesterov"]
    with pytest.raises(ValueError, match="lamb"):
        build_optimizer(model, "lamb", lr=0.1, momentum=0.9, weight_decay=0)


def _lrs(epochs, steps_per_epoch, warmup_epochs, lr=1.0):
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = build_scheduler(optimizer, epochs, steps_per_epoch, warmup_epochs)
    lrs = []
    for _ in range(epochs * steps_per_epoch):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs, optimizer.param_groups[0]["lr"]


def test_scheduler_warmup_then_cosine():
    lrs, final = _lrs(epochs=3, steps_per_epoch=10, warmup_epochs=1, lr=0.5)
    assert lrs[0] == pytest.approx(0.005)  # lr / 100
    assert lrs[5] == pytest.approx(0.005 + 0.495 * 0.5)  # halfway through a linear warm-up
    assert lrs[10] == pytest.approx(0.5)  # peak at the end of the warm-up
    assert lrs[20] == pytest.approx(0.25)  # cosine halfway through the remaining 20 steps
    assert lrs[25] == pytest.approx(0.25 * (1 + math.cos(math.pi * 15 / 20)))
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:11])) and all(a > b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[-1] > 0 and final == pytest.approx(0.0)


def test_scheduler_without_warmup_and_fractional_warmup():
    lrs, _ = _lrs(epochs=2, steps_per_epoch=4, warmup_epochs=0)
    assert lrs[0] == pytest.approx(1.0) and lrs[4] == pytest.approx(0.5)
    lrs, _ = _lrs(epochs=2, steps_per_epoch=4, warmup_epochs=0.5)
    assert lrs[0] == pytest.approx(0.01) and lrs[1] == pytest.approx(0.505) and lrs[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="warmup_epochs"):
        _lrs(epochs=2, steps_per_epoch=4, warmup_epochs=3)


def test_scheduler_resumes_from_state_dict():
    expected, _ = _lrs(epochs=2, steps_per_epoch=5, warmup_epochs=1)
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = build_scheduler(optimizer, 2, 5, 1)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
    saved = optimizer.state_dict(), scheduler.state_dict()
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = build_scheduler(optimizer, 2, 5, 1)
    optimizer.load_state_dict(saved[0])
    scheduler.load_state_dict(saved[1])
    resumed = []
    for _ in range(7):
        resumed.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert resumed == pytest.approx(expected[3:])


@pytest.mark.parametrize("precision, expected", [("float32", False), ("bf16", True), ("auto", bf16_native("cpu"))])
def test_train_precision_picks_autocast(precision, expected):
    assert use_bf16(precision, "cpu") is expected


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="fp16"):
        use_bf16("fp16", "cpu")


def test_train_steps_lower_the_loss():
    torch.manual_seed(0)
    clips = torch.randint(0, 256, (4, 3, 4, 16, 16), dtype=torch.uint8)
    target = torch.tensor([0, 1, 2, 1])
    model = build_model(18, num_classes=3)
    criterion = nn.CrossEntropyLoss()
    optimizer = build_optimizer(model, "sgd", lr=0.01, momentum=0.9, weight_decay=0.0)
    scheduler = build_scheduler(optimizer, epochs=2, steps_per_epoch=3, warmup_epochs=0)
    first = train_one_epoch(model, criterion, optimizer, scheduler, [(clips, target)] * 3, "cpu", 0, progress=False)
    second = train_one_epoch(model, criterion, optimizer, scheduler, [(clips, target)] * 2, "cpu", 1, progress=False)
    assert set(first) == {"loss", "top1", "top5", "lr", "clips_per_s"}
    assert second["loss"] < first["loss"] - 0.05
    assert second["top1"] >= first["top1"] and first["top5"] == 100.0  # 3 classes
    assert first["lr"] == pytest.approx(0.005 * (1 + math.cos(math.pi * 2 / 6)))  # lr of the 3rd step
    assert first["clips_per_s"] > 0


class Float(nn.Module):
    def forward(self, x):
        return x.float() / 255


def test_accumulated_batches_step_as_one_batch():
    torch.manual_seed(0)
    clips = torch.randint(0, 256, (8, 3, 2, 4, 4), dtype=torch.uint8)
    target = torch.randint(0, 3, (8,))

    def train(bounds, accumulate):
        torch.manual_seed(1)
        # No batch norm: the gradient alone decides. Models take uint8 clips and make them float themselves.
        model = nn.Sequential(Float(), nn.Flatten(), nn.Linear(96, 3))
        optimizer = build_optimizer(model, "sgd", lr=0.5, momentum=0.9, weight_decay=0.0)
        scheduler = build_scheduler(optimizer, epochs=1, steps_per_epoch=2, warmup_epochs=0)
        batches = [(clips[a:b], target[a:b]) for a, b in zip(bounds, bounds[1:])]
        # In float32 whatever the CPU (auto is bf16 with AMX), so that the two ways agree to rounding.
        metrics = train_one_epoch(
            model,
            nn.CrossEntropyLoss(),
            optimizer,
            scheduler,
            batches,
            "cpu",
            1,
            amp=False,
            accumulate=accumulate,
            progress=False,
        )
        return model, scheduler.last_epoch, metrics

    whole, steps, metrics = train([0, 4, 8], accumulate=1)
    assert steps == 2
    # Two steps of two micro-batches each, then a last group cut short by the end of the epoch.
    for bounds in ([0, 2, 4, 6, 8], [0, 2, 4, 8]):
        split, steps, split_metrics = train(bounds, accumulate=2)
        assert steps == 2 and split_metrics["loss"] == pytest.approx(metrics["loss"])
        for a, b in zip(whole.parameters(), split.parameters()):
            torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="accumulate"):
        train([0, 8], accumulate=0)


class Recorder(nn.Module):
    """A linear model that keeps the uint8 clips it was given."""

    def __init__(self, features: int, classes: int):
        super().__init__()
        self.seen: list[torch.Tensor] = []
        self.linear = nn.Linear(features, classes)

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return self.linear(x.float().flatten(1) / 255)


def test_mixup_blends_each_clip_and_its_label_with_the_previous_ones():
    torch.manual_seed(0)
    clips = torch.randint(0, 256, (4, 3, 2, 4, 4), dtype=torch.uint8)
    target = torch.tensor([0, 1, 2, 1])
    model = Recorder(96, 3)
    optimizer = build_optimizer(model, "sgd", lr=0.0, momentum=0.0, weight_decay=0.0)
    scheduler = build_scheduler(optimizer, epochs=1, steps_per_epoch=1, warmup_epochs=0)
    mixup = v2.MixUp(alpha=1.0, num_classes=3)
    metrics = train_one_epoch(  # in float32, as `expected` below is computed
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        scheduler,
        [(clips, target)],
        "cpu",
        1,
        amp=False,
        mixup=mixup,
        progress=False,
    )
    seen = model.seen[0]
    assert seen.dtype == torch.uint8  # as the model takes them
    x, rolled = clips.float(), clips.float().roll(1, 0)
    # One share for the whole batch: seen = share * x + (1 - share) * rolled, rounded to grey levels.
    share = ((seen - rolled) * (x - rolled)).sum() / ((x - rolled) ** 2).sum()
    assert 0.01 < share < 0.99
    assert (seen - (share * x + (1 - share) * rolled)).abs().max() < 0.6  # half a level, and the fitted share
    soft = share * nn.functional.one_hot(target, 3) + (1 - share) * nn.functional.one_hot(target.roll(1), 3)
    expected = nn.CrossEntropyLoss()(model.linear(seen.flatten(1) / 255), soft)
    assert metrics["loss"] == pytest.approx(expected.item(), rel=1e-5)
    # Top-1 counts the larger share of each blend.
    hits = (model.linear(seen.flatten(1) / 255).argmax(1) == soft.argmax(1)).double().mean().item()
    assert metrics["top1"] == pytest.approx(100 * hits)


def test_ema_averages_the_weights_after_every_optimiser_step():
    torch.manual_seed(0)
    clips = torch.randint(0, 256, (6, 3, 2, 4, 4), dtype=torch.uint8)
    target = torch.tensor([0, 1, 2, 1, 0, 2])
    model = Recorder(96, 3)
    optimizer = build_optimizer(model, "sgd", lr=0.5, momentum=0.0, weight_decay=0.0)
    scheduler = build_scheduler(optimizer, epochs=1, steps_per_epoch=3, warmup_epochs=0)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.6), use_buffers=True)
    expected, weights = None, []

    class Snapshot(list):  # the batches, noting the weights each optimiser step leaves (asked for the next one)
        def __iter__(self):
            for batch in super().__iter__():
                yield batch
                weights.append(model.linear.weight.detach().clone())

    batches = Snapshot([(clips[i : i + 2], target[i : i + 2]) for i in (0, 2, 4)])
    train_one_epoch(model, nn.CrossEntropyLoss(), optimizer, scheduler, batches, "cpu", 1, ema=ema, progress=False)
    assert len(weights) == 3
    for w in weights:  # the first step's weights start the average, as AveragedModel does
        expected = w if expected is None else 0.6 * expected + 0.4 * w
    assert not torch.allclose(weights[0], weights[-1])  # the steps moved the weights
    torch.testing.assert_close(ema.module.linear.weight, expected)


def test_the_input_takes_the_layout_of_the_model():
    model = prepare_model(build_model(18, num_classes=3), "cpu")
    assert model.stem[0].weight.is_contiguous(memory_format=torch.channels_last_3d)
    assert input_format(model) == torch.channels_last_3d
    assert input_format(prepare_model(model, "cpu", torch.contiguous_format)) == torch.contiguous_format


class Lookup(nn.Module):
    """Toy model: the first pixel of a clip is an index into a table of logits."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.register_buffer("table", logits)

    def forward(self, x):
        index = x[:, 0, 0, 0, 0].long()  # models take uint8 clips and normalise them themselves
        return self.table[index]


# Per-view probabilities of 3 videos x 2 views over 3 classes; index = 2 * video + view.
VIEW_PROBS = torch.tensor(
    [
        [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]],  # mean [0.4, 0.5, 0.1] -> class 1, though view 0 says 0
        [[0.1, 0.1, 0.8], [0.3, 0.1, 0.6]],  # mean [0.2, 0.1, 0.7] -> class 2
        [[0.5, 0.4, 0.1], [0.5, 0.2, 0.3]],  # mean [0.5, 0.3, 0.2] -> class 0
    ]
)
MEAN_PROBS = VIEW_PROBS.mean(1)
TARGETS = torch.tensor([1, 0, 0])  # right, wrong (2nd best: class 0 has 0.2), right


def _toy(views=2):
    model = Lookup(VIEW_PROBS.log().flatten(0, 1) + 3.0)  # any shift of the logits gives the same softmax
    clips = torch.zeros(3, 2, 3, 2, 4, 4, dtype=torch.uint8)
    clips[:, :, 0, 0, 0, 0] = torch.arange(6).view(3, 2)
    if views == 1:
        clips = clips[:, 0]
    return model, DataLoader(TensorDataset(clips, TARGETS), batch_size=2)


def test_evaluate_averages_probabilities_over_views():
    model, loader = _toy()
    metrics = evaluate(model, nn.CrossEntropyLoss(), loader, "cpu", progress=False)
    expected_loss = -MEAN_PROBS[torch.arange(3), TARGETS].log().mean().item()
    assert metrics["loss"] == pytest.approx(expected_loss)
    assert metrics["top1"] == pytest.approx(200 / 3)
    assert metrics["top5"] == pytest.approx(100.0)


def test_evaluate_single_view_matches_criterion_on_logits():
    model, loader = _toy(views=1)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    metrics = evaluate(model, criterion, loader, "cpu", progress=False)
    logits = model.table[[0, 2, 4]]
    assert metrics["loss"] == pytest.approx(criterion(logits, TARGETS).item(), rel=1e-5)
    assert metrics["top1"] == pytest.approx(100 / 3)  # view 0 alone: classes 0, 2, 0


def test_predict_returns_view_averaged_probabilities_in_order():
    model, loader = _toy()
    probs, targets = predict(model, loader, "cpu", progress=False)
    torch.testing.assert_close(probs, MEAN_PROBS)
    assert torch.equal(targets, TARGETS)


def test_view_log_probs_plays_views_backwards_for_the_partner():
    """With `partner`, each view also plays backwards (its last frame first), its scores relabelled."""
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])  # the clip forward: row 0; backwards: row 1
    model = Lookup(probs.log())
    clips = torch.zeros(1, 3, 2, 4, 4, dtype=torch.uint8)  # (B, C, T, H, W)
    clips[0, 0, -1, 0, 0] = 1  # the last frame's first pixel, which the model reads first played backwards
    partner = [1, 0, 2]  # classes 0 and 1 are each other's reversal
    torch.testing.assert_close(view_log_probs(model, clips, "cpu").exp(), probs[:1])
    backwards = view_log_probs(model, clips[:, None], "cpu", partner=partner).exp()
    torch.testing.assert_close(backwards, torch.tensor([[0.65, 0.15, 0.2]]))  # (row 0 + row 1 relabelled) / 2


def test_confusion_and_class_accuracies():
    pred = torch.tensor([0, 1, 1, 2, 0, 0])
    target = torch.tensor([0, 1, 2, 2, 2, 0])
    confusion = confusion_matrix(pred, target, num_classes=4)
    expected = torch.tensor([[2, 0, 0, 0], [0, 1, 0, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
    assert torch.equal(confusion, expected)
    per_class = per_class_accuracy(confusion)
    torch.testing.assert_close(per_class[:3], torch.tensor([100.0, 100.0, 100 / 3], dtype=torch.float64))
    assert per_class[3].isnan()  # class 3 never occurs
    assert mean_class_accuracy(confusion) == pytest.approx((100 + 100 + 100 / 3) / 3)
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(torch.tensor([4]), torch.tensor([0]), num_classes=4)


def test_pair_accuracy():
    pairs = [(0, 1), (2, 3)]
    target = torch.tensor([0, 0, 1, 3, 3, 4, 4])
    pred = torch.tensor([0, 1, 0, 3, 1, 4, 0])
    result = pair_accuracy(pred, target, pairs)
    # Samples of classes 0-3: five; right: #0 and #3; swapped with their partner: #1 and #2.
    assert result == {"top1": pytest.approx(40.0), "partner": pytest.approx(40.0), "samples": 5}
    empty = pair_accuracy(pred, target, [(5, 6)])
    assert empty["samples"] == 0 and math.isnan(empty["top1"])
    with pytest.raises(ValueError, match="disjoint"):
        pair_accuracy(pred, target, [(0, 1), (1, 2)])


def _ddp_worker(rank, world_size, port, queue):
    import os

    from ssv2.distributed import cleanup, init_distributed, is_main_process

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    assert init_distributed() == (rank, world_size, 0)
    assert is_main_process() == (rank == 0)
    model, loader = _toy()
    # Uneven shards (2 videos and 1), so that a mean of per-rank means would be wrong.
    shard = torch.utils.data.Subset(loader.dataset, [0, 1] if rank == 0 else [2])
    queue.put((rank, evaluate(model, nn.CrossEntropyLoss(), DataLoader(shard, batch_size=2), "cpu", progress=False)))
    cleanup()


def test_evaluate_is_exact_under_ddp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # fork, unlike spawn, does not re-import torch in each worker: a second instead of several.
    queue = mp.get_context("fork").SimpleQueue()
    mp.start_processes(_ddp_worker, args=(2, port, queue), nprocs=2, start_method="fork")
    results = dict(queue.get() for _ in range(2))
    model, loader = _toy()
    single = evaluate(model, nn.CrossEntropyLoss(), loader, "cpu", progress=False)
    assert results[0] == pytest.approx(single) and results[1] == pytest.approx(single)
