"""The training run: resume after an interruption, SIGKILL, and DDP processes started by the stage."""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from mlflow import MlflowClient
from torch.utils.data import DataLoader

from conftest import REPO, sample_config, train_config
from ssv2.annotations import parse_dataset, write_table
from ssv2.checkpoint import LAST, PREPROCESSING, TRAIN_VIDEOS, load_checkpoint, load_model
from ssv2.checkpoint import MODEL as MODEL_FILE
from ssv2.config import DataConfig, ModelConfig, load_params
from ssv2.data import ClipDataset, Preprocessing
from ssv2.engine import evaluate, prepare_model
from ssv2.sample import make_sample
from ssv2.store import SUMMARY_FILE, ClipStore, materialise
from ssv2.training import best_epoch, epoch_crop, epoch_metrics, fit, run_key, validated

MODEL = ModelConfig(depth=18, width=16, pool="max", centre=True, pretrained=None)
TRAIN = train_config(
    frames=4,
    crop=32,
    epochs=2,
    optimizer="sgd",
    lr=0.01,
    weight_decay=0.0001,
    warmup_epochs=0.5,
    workers=0,
    processes=1,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A directory laid out like the repository after the data stages, at tiny sizes."""
    root = tmp_path_factory.mktemp("workspace")
    make_sample(
        root / "data/sample",
        sample_config(seed=1, train_per_class=2, validation_per_class=1, test_per_class=1, broken=0),
    )
    params = load_params(REPO / "params.yaml")
    names, tables = parse_dataset(DataConfig(**{**params["data"], "root": str(root / "data/sample")}))
    (root / "data/parsed").mkdir(parents=True)
    (root / "data/parsed/classes.json").write_text(json.dumps(names))
    for split, table in tables.items():
        write_table(table, root / f"data/parsed/{split}.csv")
    materialise(tables, root / "data/store", codec="raw", short_side=40, max_frames=96, min_frames=8, workers=2)
    materialise(tables, root / "data/jpeg", codec="jpeg", short_side=40, max_frames=96, min_frames=8, workers=2)
    # What fit(MODEL, TRAIN) trains, so that the stage's run can be compared with it.
    params["model"], params["train"] = dataclasses.asdict(MODEL), dataclasses.asdict(TRAIN)
    params["pretrain"]["videos_per_class"] = 0  # from scratch, as fit(MODEL, TRAIN)
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


@pytest.mark.parametrize(
    "epochs, progressive, crops",
    [
        (4, None, [128] * 4),
        (4, [], [128] * 4),
        (6, [64, 96], [64, 64, 96, 96, 128, 128]),
        (90, [64, 96], [64] * 30 + [96] * 30 + [128] * 30),
        (8, [64, 64, 96], [64] * 4 + [96] * 2 + [128] * 2),
        (5, [64, 96], [64, 96, 96, 128, 128]),  # parts as equal as whole epochs allow, the last never the shortest
        (2, [64, 96], [96, 128]),  # fewer epochs than sizes: the last epoch is still train.crop's
        (1, [64], [128]),
    ],
)
def test_progressive_resizing_ends_at_the_crop(epochs, progressive, crops):
    assert [epoch_crop(e, epochs, 128, progressive) for e in range(epochs)] == crops


@pytest.mark.parametrize(
    "sizes, top1, best",
    [
        ([64, 96, 128, 128], [50.0, 90.0, 70.0, 80.0], 4),  # 96 px's 90% is not the model's: not at its size
        ([64, 128, 128], [99.0, 80.0, 60.0], 2),
        ([[64, 80], [112, 144], [112, 144]], [90.0, 70.0, 75.0], 3),
        ([128, 128], [80.0, 80.0], 1),  # a tie goes to the first, as max does
    ],
)
def test_the_best_epoch_is_one_at_the_models_size(sizes, top1, best):
    history = [
        epoch_metrics(epoch, size, {"loss": 1.0, "lr": 0.1, "clips_per_s": 1.0}, {"top1": value})
        for epoch, (size, value) in enumerate(zip(sizes, top1, strict=True), start=1)
    ]
    assert best_epoch(history)["epoch"] == best


def names(workspace: Path) -> list[str]:
    return json.loads((workspace / "data/parsed/classes.json").read_text())


def assert_same_weights(a: Path, b: Path, key: str = "model") -> None:
    wa, wb = load_checkpoint(a)[key], load_checkpoint(b)[key]
    assert wa.keys() == wb.keys()
    for name in wa:
        torch.testing.assert_close(wa[name], wb[name], rtol=0, atol=1e-6, msg=name)


class Interrupt(Exception):
    pass


class StopAfterFirst:
    """A listener that stops the training after its first epoch, as a kill would."""

    def __init__(self):
        self.epochs, self.ended = [], False

    def on_epoch_end(self, epoch, metrics):
        self.epochs.append(epoch)
        if epoch == 1:
            raise Interrupt

    def on_train_end(self, history):
        self.ended = True


class Recorder:
    def __init__(self):
        self.epochs, self.history = [], None

    def on_epoch_end(self, epoch, metrics):
        self.epochs.append((epoch, metrics["epoch"]))

    def on_train_end(self, history):
        self.history = history


# mixup draws its shares from torch's RNG, which resumes too; ema's average resumes beside the trained weights;
# progressive resizing resumes at the size of the epoch it resumes.
@pytest.mark.parametrize(
    "mixup, ema, progressive", [(0.0, 0.0, None), (0.4, 0.0, None), (0.0, 0.5, None), (0.0, 0.0, [16])]
)
def test_resume_ends_where_an_uninterrupted_run_ends(workspace, tmp_path, mixup, ema, progressive):
    store = workspace / "data/store"
    train = dataclasses.replace(TRAIN, mixup=mixup, ema=ema, progressive=progressive)
    whole = fit(MODEL, train, store, names(workspace), checkpoints=tmp_path / "whole", progress=False)

    stop = StopAfterFirst()
    with pytest.raises(Interrupt):
        fit(MODEL, train, store, names(workspace), checkpoints=tmp_path / "resumed", listeners=[stop], progress=False)
    assert stop.epochs == [1] and not stop.ended
    assert load_checkpoint(tmp_path / "resumed" / LAST)["epoch"] == 1  # the checkpoints heard of the epoch first
    recorder = Recorder()
    resumed = fit(
        MODEL, train, store, names(workspace), checkpoints=tmp_path / "resumed", listeners=[recorder], progress=False
    )
    assert [m["epoch"] for m in resumed] == [1, 2]
    assert recorder.epochs == [(2, 2)] and recorder.history == resumed  # the end sees the resumed epoch too
    assert resumed[-1]["train_loss"] == pytest.approx(whole[-1]["train_loss"], abs=1e-6)
    assert_same_weights(tmp_path / "whole" / LAST, tmp_path / "resumed" / LAST)
    if ema:  # the kept weights are the average, not the trained ones, and both resumed
        assert_same_weights(tmp_path / "whole" / LAST, tmp_path / "resumed" / LAST, "trained")
        last = load_checkpoint(tmp_path / "whole" / LAST)
        assert not torch.equal(last["model"]["stem.0.weight"], last["trained"]["stem.0.weight"])


@pytest.mark.parametrize(
    "epochs, every, expected",
    [(10, 1, range(1, 11)), (10, 5, [1, 5, 10]), (12, 5, [1, 5, 10, 12]), (3, 5, [1, 3]), (1, 5, [1])],
)
def test_the_first_every_nth_and_last_epochs_are_validated(epochs, every, expected):
    assert [e for e in range(1, epochs + 1) if validated(e, epochs, every)] == list(expected)


def test_the_best_epoch_is_a_validated_one():
    rows = [{"top1": 90.0}, {}, {"top1": 60.0}]
    history = [
        epoch_metrics(epoch, 32, {"loss": 1.0, "lr": 0.1, "clips_per_s": 1.0}, val)
        for epoch, val in enumerate(rows, start=1)
    ]
    assert best_epoch(history)["epoch"] == 1 and "val_top1" not in history[1]


def test_a_validation_cadence_leaves_the_training_as_it_is(workspace):
    store, classes = workspace / "data/store", names(workspace)
    every = fit(
        MODEL, dataclasses.replace(TRAIN, epochs=3, validate_every=1, workers=2), store, classes, progress=False
    )
    some = fit(MODEL, dataclasses.replace(TRAIN, epochs=3, validate_every=3, workers=2), store, classes, progress=False)
    assert ["val_top1" in m for m in some] == [True, False, True]
    assert [m["train_loss"] for m in some] == [m["train_loss"] for m in every]
    assert {k: v for k, v in some[-1].items() if k != "clips_per_s"} == {
        k: v for k, v in every[-1].items() if k != "clips_per_s"
    }


def test_progressive_resizing_trains_its_first_epochs_on_smaller_clips(workspace):
    store = workspace / "data/store"
    plain = fit(MODEL, TRAIN, store, names(workspace), progress=False)
    progressive = fit(MODEL, dataclasses.replace(TRAIN, progressive=[16]), store, names(workspace), progress=False)
    # The same seeds draw the same boxes and frames: only the clips' size tells the first epochs apart.
    assert progressive[0]["train_loss"] != pytest.approx(plain[0]["train_loss"], abs=1e-6)


class KeepFirst:
    """Copies the checkpoint written after the first epoch (the checkpoints hear of an epoch first)."""

    def __init__(self, last: Path, copy: Path):
        self.last, self.copy = last, copy

    def on_epoch_end(self, epoch, metrics):
        if epoch == 1:
            shutil.copy(self.last, self.copy)

    def on_train_end(self, history):
        pass


def test_progressive_resizing_validates_each_epoch_at_its_size(workspace, tmp_path):
    store = workspace / "data/store"
    keep = KeepFirst(tmp_path / "run" / LAST, tmp_path / "first.pt")
    train = dataclasses.replace(TRAIN, progressive=[16])
    history = fit(MODEL, train, store, names(workspace), checkpoints=tmp_path / "run", listeners=[keep], progress=False)
    model, _ = load_model(keep.copy)
    model = prepare_model(model, "cpu")
    short_side = json.loads((store / SUMMARY_FILE).read_text())["short_side"]

    def val_loss(side: int) -> float:
        val_set = ClipDataset.evaluation(ClipStore(store / "validation"), Preprocessing(train.frames, side, short_side))
        criterion = torch.nn.CrossEntropyLoss(label_smoothing=train.label_smoothing)
        return evaluate(model, criterion, DataLoader(val_set, batch_size=4), "cpu", progress=False)["loss"]

    # The first epoch trained on 16 x 16 clips and was validated on them, not on the 32 x 32 clips of the last.
    assert [(m["crop_height"], m["crop_width"]) for m in history] == [(16, 16), (32, 32)]
    assert history[0]["val_loss"] == pytest.approx(val_loss(16), abs=1e-5)
    assert history[0]["val_loss"] != pytest.approx(val_loss(32), abs=1e-3)


@pytest.mark.parametrize("precision, hint", [("float32", "warmup_epochs$"), ("bf16", "precision: float32")])
def test_a_diverged_epoch_stops_the_run_before_any_checkpoint_keeps_it(workspace, tmp_path, precision, hint):
    recorder = Recorder()
    with pytest.raises(FloatingPointError, match=f"epoch 1 is (nan|inf).*lower train.lr.*{hint}"):
        fit(
            MODEL,
            dataclasses.replace(TRAIN, lr=1e12, epochs=1, precision=precision),
            workspace / "data/store",
            names(workspace),
            checkpoints=tmp_path,
            listeners=[recorder],
            progress=False,
        )
    assert not list(tmp_path.glob("*.pt")) and recorder.epochs == []


def test_decoding_on_the_device_trains_as_the_loader_does(workspace, tmp_path):
    """train.decode_on: device (here on the CPU): the same clips, so the same losses and weights."""
    train = dataclasses.replace(TRAIN, epochs=1, workers=1)
    histories = {
        where: fit(
            MODEL,
            dataclasses.replace(train, decode_on=where),
            workspace / "data/jpeg",
            names(workspace),
            checkpoints=tmp_path / where,
            progress=False,
        )
        for where in ("loader", "device")
    }
    assert histories["device"][0]["train_loss"] == pytest.approx(histories["loader"][0]["train_loss"], abs=1e-6)
    assert_same_weights(tmp_path / "loader" / LAST, tmp_path / "device" / LAST)


def test_other_params_start_afresh(workspace, tmp_path):
    store = workspace / "data/store"
    fit(MODEL, dataclasses.replace(TRAIN, epochs=1), store, names(workspace), checkpoints=tmp_path, progress=False)
    history = fit(
        MODEL,
        dataclasses.replace(TRAIN, epochs=1, lr=0.02),
        store,
        names(workspace),
        checkpoints=tmp_path,
        progress=False,
    )
    assert len(history) == 1 and load_checkpoint(tmp_path / LAST)["params"]["train"]["lr"] == 0.02
    model = load_checkpoint(tmp_path / MODEL_FILE)
    assert model["class_names"] == names(workspace)
    assert model[PREPROCESSING] == {"frames": 4, "crop": 32, "short_side": 40, "clips": 1, "crops": 1, "reverse": False}
    assert model[TRAIN_VIDEOS] == [2 if name in sample_config().classes else 0 for name in names(workspace)]


def test_a_param_added_with_a_neutral_default_keeps_the_run_keys(workspace):
    # As if TrainConfig gained a field after TRAIN's checkpoints were written: they must still resume.
    later = dataclasses.make_dataclass(
        "LaterTrainConfig", [("newer", float, dataclasses.field(default=0.0))], bases=(type(TRAIN),), frozen=True
    )
    store, classes = workspace / "data/store", names(workspace)
    key = run_key(MODEL, TRAIN, store, classes)
    assert run_key(MODEL, later(**dataclasses.asdict(TRAIN)), store, classes) == key
    assert run_key(MODEL, later(**dataclasses.asdict(TRAIN), newer=0.5), store, classes) != key
    assert run_key(MODEL, dataclasses.replace(TRAIN, precision="bf16"), store, classes) != key
    assert run_key(dataclasses.replace(MODEL, stem_pool=True), TRAIN, store, classes) != key


def test_the_run_key_holds_the_pretrained_weights_not_only_their_path(workspace, tmp_path):
    store, classes, weights = workspace / "data/store", names(workspace), tmp_path / "r3d.pth"
    model = dataclasses.replace(MODEL, pretrained=str(weights))
    torch.save({"stem.0.weight": torch.zeros(2)}, weights)
    key = run_key(model, TRAIN, store, classes)
    assert run_key(model, TRAIN, store, classes) == key
    torch.save({"stem.0.weight": torch.ones(2)}, weights)  # replaced at the same path: a killed run must not resume
    assert run_key(model, TRAIN, store, classes) != key


def _stage(workspace: Path, launcher: list[str], **env: str) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.Popen(
        [*launcher, str(REPO / "stages/train.py")],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_sigkill_mid_training_then_rerun_resumes_and_finishes(workspace, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(workspace, run, ignore=shutil.ignore_patterns("models", "plots", "metrics"))
    params = yaml.safe_load((run / "params.yaml").read_text())
    params["train"]["epochs"] = 3
    (run / "params.yaml").write_text(yaml.safe_dump(params))
    process = _stage(run, [sys.executable])
    deadline = time.monotonic() + 120
    while not (run / "models" / LAST).exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stdout.read()
    done = load_checkpoint(run / "models" / LAST)["epoch"]
    assert done < 3

    rerun = _stage(run, [sys.executable])
    output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, output
    assert f"resuming from models/{LAST} after epoch {done} of 3" in output
    assert len((run / "plots/train.csv").read_text().splitlines()) == 1 + 3


def test_stage_starts_two_cpu_processes_that_train_like_one(workspace, tmp_path):
    run = tmp_path / "ddp"
    shutil.copytree(workspace, run, ignore=shutil.ignore_patterns("models", "plots", "metrics", "mlflow.db"))
    params = yaml.safe_load((run / "params.yaml").read_text())
    params["train"]["processes"] = 2
    (run / "params.yaml").write_text(yaml.safe_dump(params))
    uri = f"sqlite:///{run / 'mlflow.db'}"
    process = _stage(run, [sys.executable], MLFLOW_TRACKING_URI=uri)
    output, _ = process.communicate(timeout=900)  # three interpreters start torch: minutes on a busy machine
    assert process.returncode == 0, output
    assert output.count("after the last epoch, whose weights are the model") == 1  # rank 0 alone reports
    checkpoint = load_checkpoint(run / "models" / LAST)
    assert checkpoint["epoch"] == 2 and not any(k.startswith("module.") for k in checkpoint["model"])
    assert len((run / "plots/train.csv").read_text().splitlines()) == 1 + 2
    runs = MlflowClient(uri).search_runs([e.experiment_id for e in MlflowClient(uri).search_experiments()])
    assert len(runs) == 1 and runs[0].data.tags["world_size"] == "2" and runs[0].info.status == "FINISHED"

    # The two processes split each batch of the single process: only batch norm, over half a batch, differs.
    single = fit(MODEL, TRAIN, workspace / "data/store", names(workspace), progress=False)
    for one, two in zip(single, checkpoint["history"]):
        assert two["train_loss"] == pytest.approx(one["train_loss"], abs=0.1)
        assert two["val_loss"] == pytest.approx(one["val_loss"], abs=0.25)
