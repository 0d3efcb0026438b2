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
    CheckpointError,
    load_checkpoint,
    load_model,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from ssv2.engine import build_optimizer, build_scheduler
from ssv2.models import build_model


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
        "best_top1": 12.5,
        "history": [{"loss": 5.1, "top1": 1.0, "top5": 4.0, "lr": 0.05, "clips_per_s": 3.2}],
        "class_names": ["Pushing something from left to right", "Pushing something from right to left"],
        "frames": 8,
        "crop": 56,
        "short_side": 64,
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
    clips = torch.randint(0, 256, (1, 3, 4, 16, 16), dtype=torch.uint8)
    torch.testing.assert_close(restored(clips), model.eval()(clips))


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
