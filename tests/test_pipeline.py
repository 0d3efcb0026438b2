"""End to end: the real `dvc` CLI runs the pipeline in a temporary copy of the repository."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import torchvision
import yaml
from mlflow import MlflowClient

from conftest import copy_repo, environment, run, sample_config
from ssv2.checkpoint import load_checkpoint
from ssv2.sample import make_sample
from test_store import assert_same_store, shard_folders

pytestmark = pytest.mark.slow

TINY = {
    "sample": {"train_per_class": 2, "validation_per_class": 1, "test_per_class": 1, "broken": 2},
    "store": {"short_side": 40},
    "train": {
        "frames": 4,
        "crop": [24, 40],
        "progressive": None,
        "epochs": 2,
        "batch_size": 8,
        "workers": 0,
        "warmup_epochs": 0,
    },
    "pretrain": {"videos_per_class": 0, "crop": 24},  # test_dvc_repro_pretrains_then_fine_tunes turns it on
}


def set_params(repo: Path, changes: dict) -> None:
    params = yaml.safe_load((repo / "params.yaml").read_text())
    for section, values in changes.items():
        params[section].update(values)
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture
def repo(tmp_path) -> Path:
    """A git + DVC copy of the tracked files of this repository, with tiny params."""
    copy = copy_repo(tmp_path / "repo")
    set_params(copy, TINY)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com"]
    run(["git", "init", "-q"], copy)
    run(["git", "add", "-A"], copy)
    run([*git, "commit", "-qm", "copy"], copy)
    return copy


def test_dvc_repro_runs_the_chain_and_reruns_only_what_changed(repo):
    run(["dvc", "repro"], repo)
    metrics = json.loads((repo / "eval/metrics.json").read_text())
    assert 0 <= metrics["top1"] <= 100 and metrics["samples"] == 13
    skipped = pd.read_csv(repo / "data/store/skipped.csv")
    assert len(skipped) == 2 and set(skipped["split"]) == {"train"}
    assert len(pd.read_csv(repo / "eval/test_predictions.csv")) == 13
    history = pd.read_csv(repo / "plots/train.csv")
    assert len(history) == 2 and {"crop_height", "crop_width"} <= set(history.columns)
    assert {"shuffled_top1", "reversed_top1", "reversed_pairs_as_partner", "reversed_pairs_as_own"} <= metrics.keys()
    assert "shuffled_top1" in run(["dvc", "metrics", "show"], repo)
    # A model of two epochs may get no video right: the gallery shows what there is, each named by what it shows.
    gallery = [p.name for p in (repo / "eval/gallery").glob("*.png")]
    assert gallery and all(re.fullmatch(r".+ - (correct|confused) - \d+\.png", name) for name in gallery), gallery
    plots = json.loads(run(["dvc", "plots", "show", "--json"], repo))["data"]
    assert sorted(plots) == sorted(
        [
            "Loss",
            "Top-1 accuracy (%)",
            "Learning rate",
            "Clip size (px)",
            "Confusion matrix (validation)",
            "eval/confusion.png",
            "eval/per_class.png",
        ]
    )  # each drawn once

    assert "up to date" in run(["dvc", "status"], repo)
    second = run(["dvc", "repro"], repo)
    assert "Running stage" not in second

    # A sweep's best params, applied the documented way: the next repro trains exactly them.
    best = {
        "study": "ssv2",
        "trial": 3,
        "val_top1": 50.0,
        "params": {"train.lr": 0.02, "train.frames": 8, "model.depth": 18},
    }
    (repo / "tune").mkdir()
    (repo / "tune/best_params.yaml").write_text(yaml.safe_dump(best))
    run([sys.executable, "-m", "ssv2.tune", "apply"], repo)
    status = run(["dvc", "status"], repo)
    assert "train:" in status and "materialise:" not in status and "parse:" not in status
    rerun = run(["dvc", "repro"], repo)
    assert "Running stage 'train'" in rerun and "Running stage 'evaluate'" in rerun
    assert "Running stage 'materialise'" not in rerun and "Running stage 'parse'" not in rerun
    trained = load_checkpoint(repo / "models/last.pt")["params"]
    assert trained["train"]["lr"] == 0.02 and trained["train"]["frames"] == 8 and trained["model"]["depth"] == 18


def test_dvc_repro_pretrains_then_fine_tunes(repo):
    set_params(repo, {"pretrain": {"videos_per_class": 1, "epochs": 1}})
    uri = f"sqlite:///{repo / 'mlflow.db'}"
    out = run(["dvc", "repro", "train"], repo, MLFLOW_TRACKING_URI=uri)
    assert "pretrained on 1 videos a class for 1 epochs" in out
    weights = torch.load(repo / "models/pretrained.pth")
    trained = load_checkpoint(repo / "models/last.pt")
    assert trained["params"]["model"]["pretrained"] == "models/pretrained.pth"
    client = MlflowClient(uri)
    (logged,) = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert logged.data.params["model.pretrained"] == "models/pretrained.pth"  # the start it had, not params.yaml's null
    assert weights.keys() == {k for k in trained["model"] if not k.startswith("fc.")}
    # The pretraining's epochs change its weights, so the training reruns; the data stages do not.
    set_params(repo, {"pretrain": {"epochs": 2}})
    rerun = run(["dvc", "repro", "train"], repo)
    assert re.findall(r"Running stage '(\w+)'", rerun) == ["pretrain", "train"], rerun
    # Off: the stage leaves an empty file and the training starts from model.pretrained (null: from scratch).
    set_params(repo, {"pretrain": {"videos_per_class": 0}})
    run(["dvc", "repro", "train"], repo)
    assert torch.load(repo / "models/pretrained.pth") == {} and (repo / "data/pretrain/SKIPPED.txt").is_file()
    assert load_checkpoint(repo / "models/last.pt")["params"]["model"]["pretrained"] is None


def test_dvc_repro_trains_with_two_processes_in_one_mlflow_run(repo):
    set_params(repo, {"train": {"processes": 2}})
    uri = f"sqlite:///{repo / 'mlflow.db'}"
    # MLflow publishes system metrics only once a sampling interval has passed inside the run: the
    # two tiny epochs can end within one second.
    out = run(["dvc", "repro", "train"], repo, MLFLOW_TRACKING_URI=uri, MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL="0.2")
    assert out.count("after the last epoch, whose weights are the model") == 1  # rank 0 alone reports and writes
    assert load_checkpoint(repo / "models/last.pt")["epoch"] == 2 and (repo / "models/model.pt").is_file()
    client = MlflowClient(uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert len(runs) == 1
    assert runs[0].data.tags["world_size"] == "2" and runs[0].data.params["train.processes"] == "2"
    assert "system/cpu_utilization_percentage" in runs[0].data.metrics
    assert "up to date" in run(["dvc", "status", "train"], repo)


def test_data_stages_on_an_unseen_dataset_in_the_official_layout(repo, tmp_path):
    elsewhere = tmp_path / "downloads" / "ssv2"
    make_sample(elsewhere, sample_config(seed=7, train_per_class=1, validation_per_class=1, test_per_class=1, broken=3))
    (elsewhere / "20bn-something-something-v2" / "extra-not-listed.webm").write_bytes(b"")
    set_params(repo, {"data": {"root": str(elsewhere)}})
    out = run(["dvc", "repro", "sample", "materialise"], repo)  # sample is no longer upstream of parse
    assert "Running stage 'sample'" in out and (repo / "data/sample/SKIPPED.txt").is_file()
    assert "13 train" not in out and "16 train" in out  # 13 classes + 3 broken entries
    skipped = pd.read_csv(repo / "data/store/skipped.csv", dtype={"id": str})
    train = json.loads((elsewhere / "labels/something-something-v2-train.json").read_text())
    broken_ids = {e["id"] for e in train} - set(
        pd.read_csv(repo / "data/store/train/videos.csv", dtype={"id": str})["id"]
    )
    assert set(skipped["id"]) == broken_ids and len(broken_ids) == 3
    assert {r.split(":")[0] for r in skipped["reason"]} == {"missing", "truncated", "empty"}


def test_a_model_of_other_data_is_not_compared_with_the_samples_champion(repo, tmp_path):
    run(["dvc", "repro"], repo)  # the sample's model takes @champion
    elsewhere = tmp_path / "downloads" / "ssv2"
    make_sample(elsewhere, sample_config(seed=7, train_per_class=2, validation_per_class=1, test_per_class=1, broken=0))
    set_params(repo, {"data": {"root": str(elsewhere)}})
    refused = subprocess.run(["dvc", "repro"], cwd=repo, env=environment(), capture_output=True, text=True)
    assert refused.returncode != 0 and "Running stage 'evaluate'" in refused.stdout
    assert "another validation set (13 videos, 13 classes, sha256" in refused.stderr, refused.stderr
    assert "register.name=ssv2-r3d-<dataset>" in refused.stderr
    client = MlflowClient(f"sqlite:///{repo / 'mlflow.db'}")
    assert len(client.search_model_versions("name = 'ssv2-r3d'")) == 1  # nothing registered

    # The remedy the error names: a name of the data's own, after which only registration runs.
    named = run(["dvc", "exp", "run", "-S", "register.name=ssv2-r3d-other"], repo)
    assert re.findall(r"Running stage '(\w+)'", named) == ["register"], named
    assert client.get_model_version_by_alias("ssv2-r3d-other", "champion").tags["decision"] == (
        "promoted: the first version"
    )
    assert str(client.get_model_version_by_alias("ssv2-r3d", "champion").version) == "1"


def test_r3d_50_from_an_inflated_imagenet_resnet_50_trains_through_dvc_repro(repo, tmp_path):
    weights = tmp_path / "resnet50.pth"  # laid out as torchvision's ImageNet file, random weights
    resnet = torchvision.models.resnet50()
    torch.save(resnet.state_dict(), weights)
    # A learning rate this small leaves the weights where the inflation put them.
    # The uncentred input ImageNet weights expect.
    model = {"depth": 50, "width": 64, "centre": False, "still": 0.0, "pretrained": str(weights)}
    set_params(repo, {"model": model, "train": {"epochs": 1, "lr": 1e-7}})
    run(["dvc", "repro", "train"], repo)
    checkpoint = load_checkpoint(repo / "models/model.pt")
    assert checkpoint["depth"] == 50
    stem = checkpoint["model"]["stem.0.weight"]
    assert stem.shape == (64, 3, 3, 7, 7)
    torch.testing.assert_close(stem.sum(2), resnet.conv1.weight.detach(), rtol=0, atol=1e-4)


@pytest.mark.parametrize("codec", ["raw", "jpeg"])
def test_dvc_repro_killed_mid_materialise_resumes_to_the_same_store(repo, codec, tmp_path):
    set_params(repo, {"store": {"codec": codec, "shard_videos": 4}})  # 15 shards: 28 train, 13 validation, 13 test
    run(["dvc", "repro", "parse"], repo)
    partial, store = repo / "data/store.partial", repo / "data/store"
    with open(tmp_path / "killed.log", "w") as log:
        # Its own process group: the kill reaches dvc, the stage and the stage's decoding workers at once.
        dvc = subprocess.Popen(
            ["dvc", "repro", "materialise"], cwd=repo, env=environment(), stdout=log, stderr=log, start_new_session=True
        )
        while not shard_folders(partial) and dvc.poll() is None:
            time.sleep(0.01)
        os.killpg(dvc.pid, signal.SIGKILL)
        dvc.wait()
    kept = {p.relative_to(partial): (p / "frames.bin").stat() for p in shard_folders(partial)}
    assert 1 <= len(kept) < 15 and not (store / "summary.json").exists(), (tmp_path / "killed.log").read_text()

    resumed = run(["dvc", "repro", "materialise"], repo)
    assert f"resuming {Path('data/store.partial')}: kept {len(kept)} of 15 shards" in resumed, resumed
    for shard, stat in kept.items():  # kept as they were, not rebuilt
        again = (store / shard / "frames.bin").stat()
        assert (again.st_ino, again.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert not partial.exists() and "up to date" in run(["dvc", "status", "materialise"], repo)

    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["materialise"]["outs"]
    shutil.move(store, tmp_path / "resumed")
    clean = run(["dvc", "repro", "--force", "materialise"], repo)
    assert "resuming" not in clean
    assert_same_store(tmp_path / "resumed", store)
    # DVC's hash of the store covers every file's bytes: frames, offsets, videos.csv, skipped.csv, summary
    assert yaml.safe_load((repo / "dvc.lock").read_text())["stages"]["materialise"]["outs"] == lock
