import dataclasses
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

from ssv2.checkpoint import (
    LAST,
    MODEL,
    PREPROCESSING,
    CheckpointError,
    Checkpoints,
    load_checkpoint,
    load_model,
    read_preprocessing,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from ssv2.config import ModelConfig
from ssv2.data import Preprocessing
from ssv2.engine import build_optimizer, build_scheduler
from ssv2.models import build_model
from ssv2.training import inference_state


def _training_state(model):
    optimizer = build_optimizer(model, "sgd", lr=0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = build_scheduler(optimizer, epochs=2, steps_per_epoch=3, warmup_epochs=1)
    model(torch.randint(0, 256, (2, 3, 4, 16, 16), dtype=torch.uint8)).sum().backward()
    optimizer.step()
    scheduler.step()
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": 1,
        "rng": rng_state(),
        "params": {"train": {"lr": 0.1, "optimizer": "sgd", "flip": False}, "model": {"pretrained": None}},
        "history": [{"loss": 5.1, "top1": 1.0, "top5": 4.0, "lr": 0.05, "clips_per_s": 3.2}],
        "class_names": ["Pushing something from left to right", "Pushing something from right to left"],
        PREPROCESSING: {"frames": 8, "crop": 56, "short_side": 64, "clips": 1, "crops": 1},
        "depth": 18,
    }


def test_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build_model(18, num_classes=2)
    state = _training_state(model)
    path = tmp_path / "models" / "checkpoint.pt"
    save_checkpoint(path, state)
    loaded = load_checkpoint(path)
    assert loaded.keys() == state.keys()
    for name, value in state["model"].items():
        assert torch.equal(loaded["model"][name], value), name
    assert loaded["scheduler"] == state["scheduler"]
    assert loaded["optimizer"]["param_groups"] == state["optimizer"]["param_groups"]
    assert {k: v for k, v in loaded.items() if k not in ("model", "optimizer", "rng")} == {
        k: v for k, v in state.items() if k not in ("model", "optimizer", "rng")
    }
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pt"]  # no temp file left

    restored, checkpoint = load_model(path)
    assert not restored.training and checkpoint["class_names"] == state["class_names"]
    assert read_preprocessing(checkpoint, path) == Preprocessing(8, 56, 64)
    clips = torch.randint(0, 256, (1, 3, 4, 16, 16), dtype=torch.uint8)
    torch.testing.assert_close(restored(clips), model.eval()(clips))


def test_load_model_rebuilds_the_architecture_it_was_trained_with(tmp_path):
    torch.manual_seed(0)
    cfg = ModelConfig(
        depth=18, width=8, pool="max", centre=True, pretrained=None, scene=True, still=0.2, stem_pool=True
    )
    model = build_model(num_classes=2, **dataclasses.asdict(cfg)).eval()
    save_checkpoint(tmp_path / "model.pt", inference_state(model, cfg, ["a", "b"], Preprocessing(4, 16, 16), [3, 2]))
    restored, _ = load_model(tmp_path / "model.pt")
    assert (restored.centre, restored.scene, restored.still, restored.stem[0].in_channels) == (True, True, 0.2, 6)
    assert isinstance(restored.stem[-1], torch.nn.MaxPool3d)
    clips = torch.randint(0, 256, (1, 3, 4, 16, 16), dtype=torch.uint8)
    torch.testing.assert_close(restored(clips), model(clips))


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.pt"):
        load_checkpoint(tmp_path / "absent.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointError, match="garbage.pt"):
        load_checkpoint(garbage)
    partial = tmp_path / "partial.pt"
    save_checkpoint(partial, {"model": build_model(18, 2).state_dict()})
    partial.write_bytes(partial.read_bytes()[:1000])  # what a non-atomic writer leaves when killed
    with pytest.raises(CheckpointError, match="partial.pt"):
        load_checkpoint(partial)
    no_model = tmp_path / "no_model.pt"
    save_checkpoint(no_model, {"epoch": 3})
    with pytest.raises(CheckpointError, match="no_model.pt.*model, depth, class_names"):
        load_model(no_model)


class Unpicklable:
    """Fails to serialise after torch.save has started writing the file."""

    def __reduce__(self):
        raise RuntimeError("boom")


def test_failed_write_keeps_the_old_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"epoch": 1, "weights": torch.ones(1000)})
    with pytest.raises(RuntimeError, match="boom"):
        save_checkpoint(path, {"epoch": 2, "weights": torch.zeros(1000), "bad": Unpicklable()})
    assert load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_leftover_temp_file_is_harmless(tmp_path):
    path = tmp_path / "checkpoint.pt"
    save_checkpoint(path, {"epoch": 1})
    stray = tmp_path / ".checkpoint.pt.abc123.tmp"
    stray.write_bytes(b"half a checkpoint")  # what a SIGKILL during a save leaves behind
    assert load_checkpoint(path)["epoch"] == 1
    save_checkpoint(path, {"epoch": 2})
    assert load_checkpoint(path)["epoch"] == 2


WRITER = textwrap.dedent(
    """
    import sys, torch
    from ssv2.checkpoint import save_checkpoint
    epoch, weights = 0, torch.empty(4_000_000)
    while True:
        epoch += 1
        save_checkpoint(sys.argv[1], {"epoch": epoch, "weights": weights.fill_(epoch)})
        print(epoch, flush=True)
    """
)


def test_sigkill_during_saves_never_leaves_a_corrupt_checkpoint(tmp_path):
    path = tmp_path / "checkpoint.pt"
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True) as writer:
        try:
            assert writer.stdout.readline().strip() == "1"  # one save done, others under way
            time.sleep(0.3)
        finally:
            writer.send_signal(signal.SIGKILL)
    checkpoint = load_checkpoint(path)
    assert checkpoint["epoch"] >= 1
    assert torch.equal(checkpoint["weights"], torch.full((4_000_000,), float(checkpoint["epoch"])))
    save_checkpoint(path, {"epoch": 0})  # stray temp files do not get in the way of the next save
    assert load_checkpoint(path)["epoch"] == 0


def _draws():
    return random.random(), np.random.rand(3).tolist(), np.random.randn(), torch.rand(3).tolist()


def test_rng_state_restores_the_same_draws(tmp_path):
    random.seed(1)
    np.random.seed(2)
    torch.manual_seed(3)
    np.random.randn()  # leaves a cached Gaussian in NumPy's state
    save_checkpoint(tmp_path / "rng.pt", {"rng": rng_state()})
    expected = _draws()
    assert _draws() != expected
    set_rng_state(load_checkpoint(tmp_path / "rng.pt")["rng"])
    assert _draws() == expected


def _checkpoints(folder, key="a", epochs=3):
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    optimizer = build_optimizer(model, "sgd", lr=0.1, momentum=0.9, weight_decay=0.0)
    scheduler = build_scheduler(optimizer, epochs=epochs, steps_per_epoch=1, warmup_epochs=0)
    return Checkpoints(
        folder,
        key,
        epochs,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        inference=lambda: {"model": model.state_dict(), "class_names": ["a", "b"]},
        params={"train": {"epochs": epochs}},
    )


def test_checkpoints_write_last_every_epoch_and_the_model_after_the_last_not_the_best(tmp_path):
    checkpoints = _checkpoints(tmp_path)
    assert checkpoints.resume() == []
    for epoch, top1 in enumerate([10.0, 30.0, 20.0], start=1):
        with torch.no_grad():
            checkpoints.model.weight.fill_(epoch)
        checkpoints.on_epoch_end(epoch, {"epoch": epoch, "val_top1": top1})
        assert load_checkpoint(tmp_path / LAST)["epoch"] == epoch
        assert (tmp_path / MODEL).is_file() == (epoch == 3)
    last, model = load_checkpoint(tmp_path / LAST), load_checkpoint(tmp_path / MODEL)
    assert [m["val_top1"] for m in last["history"]] == [10.0, 30.0, 20.0]
    assert last["key"] == "a" and last["params"] == {"train": {"epochs": 3}} and last["class_names"] == ["a", "b"]
    assert model["epoch"] == 3 and model["val_top1"] == 20.0 and "optimizer" not in model and "history" not in model
    assert torch.equal(model["model"]["weight"], torch.full_like(model["model"]["weight"], 3))


def test_checkpoints_resume_only_an_unfinished_run_of_the_same_key(tmp_path, capsys):
    first = _checkpoints(tmp_path)
    first.resume()
    first.on_epoch_end(1, {"epoch": 1, "val_top1": 10.0})
    weights = {k: v.clone() for k, v in first.model.state_dict().items()}

    again = _checkpoints(tmp_path)
    with torch.no_grad():
        again.model.weight.zero_()
    assert again.resume() == [{"epoch": 1, "val_top1": 10.0}]
    assert f"resuming from {tmp_path / LAST} after epoch 1 of 3" in capsys.readouterr().out
    assert all(torch.equal(again.model.state_dict()[k], v) for k, v in weights.items())

    assert _checkpoints(tmp_path, epochs=1).resume() == []  # a finished run: start afresh
    assert not (tmp_path / LAST).exists() and not (tmp_path / MODEL).exists()
    first.on_epoch_end(2, {"epoch": 2, "val_top1": 5.0})
    assert _checkpoints(tmp_path, key="b").resume() == []  # other params or data
    assert not (tmp_path / LAST).exists()
