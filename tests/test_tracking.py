"""MLflow tracking against a real store in a temp dir: the train, evaluate and register stages, the
champion rule, a failed run, a killed training that resumes its run; and the pure helpers."""

import json
import os
import runpy
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow import MlflowClient

from conftest import REPO, moving_square
from ssv2 import tracking
from ssv2.annotations import COLUMNS, write_table
from ssv2.store import materialise
from ssv2.video import write_video

NAMES = ["Moving something down", "Moving something up", "Holding something"]
TINY = {
    "store": {"short_side": 40},
    "train": {
        "frames": 4,
        "crop": 32,
        "progressive": None,
        "epochs": 2,
        "batch_size": 4,
        "workers": 0,
        "warmup_epochs": 0,
        "optimizer": "sgd",
        "lr": 0.01,
    },
    "evaluate": {"batch_size": 4, "clips": 2, "reverse": "auto"},  # off: "Holding something" has no partner
    "register": {"name": "tiny"},
    "pretrain": {"videos_per_class": 0},  # no models/pretrained.pth here: from scratch
}
LOCK = {
    "schema": "2.0",
    "stages": {
        "parse": {
            "cmd": "python stages/parse.py",
            "deps": [
                {"path": "ssv2/annotations.py", "hash": "md5", "md5": "c0de"},
                {"path": "data/sample/labels/something-something-v2-labels.json", "hash": "md5", "md5": "1abe1"},
            ],
            "outs": [{"path": "data/parsed", "hash": "md5", "md5": "9a25ed.dir"}],
        },
        "materialise": {
            "cmd": "python stages/materialise.py",
            "deps": [{"path": "data/parsed", "hash": "md5", "md5": "9a25ed.dir"}],
            "outs": [{"path": "data/store", "hash": "md5", "md5": "5707e.dir"}],
        },
    },
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def make_workspace(root: Path) -> Path:
    """A git repository laid out like this one after the data stages, with tiny videos and params."""
    rows = {"train": [], "validation": [], "test": []}
    for split, count in (("train", 6), ("validation", 3), ("test", 2)):
        for i in range(count):
            ident = str(1000 * ("train", "validation", "test").index(split) + i + 1)
            path = root / "videos" / f"{ident}.webm"
            write_video(path, moving_square(12, 48, 64, seed=int(ident)))
            label = i % 3 if split != "test" else -1
            rows[split].append(
                {
                    "id": ident,
                    "label": label,
                    "class_name": NAMES[label] if label >= 0 else "",
                    "template": "",
                    "placeholders": "[]",
                    "video": str(path),
                }
            )
    (root / "videos" / "999.webm").write_bytes(b"not a video")  # the store skips and reports it
    rows["train"].append(
        {
            "id": "999",
            "label": 0,
            "class_name": NAMES[0],
            "template": "",
            "placeholders": "[]",
            "video": str(root / "videos" / "999.webm"),
        }
    )
    tables = {split: pd.DataFrame(r, columns=COLUMNS) for split, r in rows.items()}
    for split, table in tables.items():
        write_table(table, root / f"data/parsed/{split}.csv")
    (root / "data/parsed/classes.json").write_text(json.dumps(NAMES))
    materialise(tables, root / "data/store", codec="raw", short_side=40, max_frames=96, min_frames=8, workers=1)

    params = yaml.safe_load((REPO / "params.yaml").read_text())
    for section, values in TINY.items():
        params[section].update(values)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (root / "dvc.lock").write_text(yaml.safe_dump(LOCK))
    # A SIGKILLed MLflow client can leave sqlite's mlflow.db-journal behind: the repository should ignore it too.
    (root / ".gitignore").write_text((REPO / ".gitignore").read_text() + "/videos/\nmlflow.db-journal\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "tiny")
    return root


def run_stage(name: str) -> None:
    runpy.run_path(str(REPO / "stages" / f"{name}.py"), run_name="__main__")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """The workspace as cwd, with MLflow logging to a sqlite store inside it."""
    root = make_workspace(tmp_path_factory.mktemp("tracking"))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root}/mlflow.db")
        yield root


@pytest.fixture(scope="module")
def trained(workspace) -> str:
    """Train, SIGKILL the training once its first epoch is saved, resume it; returns the run id."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    process = subprocess.Popen(
        [sys.executable, str(REPO / "stages/train.py")],
        cwd=workspace,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (workspace / "models/last.pt").exists():
        assert process.poll() is None, f"training ended before its first checkpoint:\n{process.stderr.read()}"
        assert time.monotonic() < deadline, "no checkpoint after 120 s"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = json.loads((workspace / "models/mlflow_run.json").read_text())
    assert not killed["trained"]
    assert mlflow.get_run(killed["run_id"]).info.status == "RUNNING"  # a SIGKILL leaves no chance to end it

    run_stage("train")
    record = json.loads((workspace / "models/mlflow_run.json").read_text())
    assert record["run_id"] == killed["run_id"] and record["trained"]
    return record["run_id"]


@pytest.mark.slow
def test_training_run_params_tags_inputs_and_artifacts(workspace, trained):
    run = mlflow.get_run(trained)
    assert run.info.status == "FINISHED"
    assert mlflow.get_experiment(run.info.experiment_id).name == tracking.EXPERIMENT
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    assert run.data.params == tracking.flatten(params)  # every param, flattened, once
    assert run.data.params["train.lr"] == "0.01" and run.data.params["model.pretrained"] == "None"

    tags = run.data.tags
    assert tags["git_commit"] == git(workspace, "rev-parse", "HEAD").strip()
    assert tags["git_dirty"] == "false"
    assert tags["dvc/data/store"] == "5707e.dir" and tags["dvc/data/parsed"] == "9a25ed.dir"
    assert "dvc/ssv2/annotations.py" not in tags  # code is versioned by the commit

    inputs = {d.tags[0].value: d.dataset for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"training", "validation"}
    assert inputs["training"].name == "ssv2-train"
    assert json.loads(inputs["training"].profile)["num_rows"] == 6  # the broken video is not in the store

    artifacts = {a.path for a in MlflowClient().list_artifacts(trained, "training")}
    assert artifacts == {"training/train.json", "training/train.csv"}
    skipped = mlflow.artifacts.load_text(f"runs:/{trained}/data/skipped.csv")
    assert "999" in skipped


@pytest.mark.slow
def test_resumed_training_logs_each_epoch_once(trained):
    client = MlflowClient()
    for metric in ("train_loss", "val_loss", "train_top1", "val_top1", "val_top5", "lr", "clips_per_s"):
        history = client.get_metric_history(trained, metric)
        assert sorted(m.step for m in history) == [1, 2], metric


@pytest.mark.slow
def test_evaluation_and_registration_add_to_the_same_run(workspace, trained):
    params_before = mlflow.get_run(trained).data.params
    run_stage("evaluate")
    run = mlflow.get_run(trained)
    assert run.info.status == "FINISHED" and run.data.params == params_before
    top1 = json.loads((workspace / "eval/metrics.json").read_text())["top1"]
    assert run.data.metrics["eval_top1"] == pytest.approx(top1)
    # evaluate.reverse "auto", as it turned out: "Holding something", trained on, has no time-reversal partner.
    assert json.loads(run.data.tags["evaluated_with"]) == {"clips": 2, "crops": 1, "reverse": False, "batch_size": 4}
    artifacts = {a.path for a in MlflowClient().list_artifacts(trained, "evaluation")}
    assert {"evaluation/confusion.png", "evaluation/per_class.png", "evaluation/metrics.json"} <= artifacts

    run_stage("register")
    client = MlflowClient()
    version = client.get_model_version_by_alias("tiny", tracking.CHAMPION)
    assert str(version.version) == "1" and version.run_id == trained
    assert version.tags["decision"] == "promoted: the first version"
    assert float(version.tags[tracking.TOP1_TAG]) == pytest.approx(top1)
    assert json.loads((workspace / "models/registered.json").read_text())["version"] == "1"
    run = mlflow.get_run(trained)
    assert run.info.status == "FINISHED" and run.data.params == params_before

    # The same model scored on other videos (one fewer): its top-1 does not compare, and nothing is registered.
    confusion = workspace / "eval/confusion.csv"
    scored = confusion.read_text()
    confusion.write_text("".join(scored.splitlines(keepends=True)[:-1]))
    try:
        with pytest.raises(tracking.TrackingError, match="another validation set"):
            run_stage("register")
    finally:
        confusion.write_text(scored)
    assert [str(v.version) for v in client.search_model_versions("name = 'tiny'")] == ["1"]


def test_a_crashing_training_ends_its_run_failed(tmp_path, monkeypatch, workspace):
    (tmp_path / "data").symlink_to(workspace / "data")
    params = yaml.safe_load((workspace / "params.yaml").read_text())
    params["train"]["accumulate"] = 3  # does not divide the batch of 8: fit raises once the run has started
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="must be a multiple of"):
        run_stage("train")
    run_id = json.loads((tmp_path / "models/mlflow_run.json").read_text())["run_id"]
    assert mlflow.get_run(run_id).info.status == "FAILED"


# ---------------------------------------------------------------- the champion rule


@pytest.mark.parametrize(
    "candidate, champion, promote",
    [
        (50.0, None, True),
        (60.0, 50.0, True),
        (50.0, 50.0, False),
        (40.0, 50.0, False),
    ],
)
def test_champion_decision(candidate, champion, promote):
    assert tracking.champion_decision(candidate, champion) is promote


def test_experiment_is_made_once_and_leaves_the_environment_alone(tmp_path, monkeypatch):
    # mlflow.set_experiment exports MLFLOW_EXPERIMENT_ID, which broke child processes logging elsewhere.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    first = tracking.ensure_experiment_id("ssv2-x")
    assert tracking.ensure_experiment_id("ssv2-x") == first and MlflowClient().get_experiment(first).name == "ssv2-x"
    assert "MLFLOW_EXPERIMENT_ID" not in os.environ


def test_experiments_open_on_model_training_in_the_ui(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    client = MlflowClient()
    made = tracking.ensure_experiment_id("ssv2-new")
    older = client.create_experiment("ssv2-old")  # as made before the tag existed
    chosen = client.create_experiment("ssv2-genai", tags={tracking.EXPERIMENT_KIND: "genai_development"})
    for name in ("ssv2-old", "ssv2-genai"):
        tracking.ensure_experiment_id(name)
    kinds = [client.get_experiment(e).tags.get("mlflow.experimentKind") for e in (made, older, chosen)]
    assert kinds == ["custom_model_development", "custom_model_development", "genai_development"]


SET = "3 videos, 3 classes, sha256 0123456789ab"


@pytest.fixture
def registry(tmp_path, monkeypatch) -> MlflowClient:
    """A real sqlite tracking store holding registered model "m", with no versions yet."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.chdir(tmp_path)
    client = MlflowClient()
    client.create_registered_model("m")
    return client


def new_version(client: MlflowClient, top1: float, val_set: str = SET) -> tuple[str, dict]:
    version = client.create_model_version("m", source=".").version
    return version, tracking.promote_if_better(client, "m", version, top1, val_set)


def champion(client: MlflowClient) -> str:
    return client.get_model_version_by_alias("m", tracking.CHAMPION).version


def test_champion_moves_only_to_a_better_version(registry):
    v1, tags = new_version(registry, 50.0)
    assert champion(registry) == v1 and tags["champion_version"] == "none"
    v2, tags = new_version(registry, 60.0)  # better: moves
    assert champion(registry) == v2 and tags["decision"] == "promoted: 60 beats version 1's 50"
    v3, tags = new_version(registry, 60.0)  # a tie keeps the old one
    assert champion(registry) == v2 and tags["decision"] == "kept version 2: 60 does not beat its 60"
    v4, _ = new_version(registry, 40.0)  # worse: stays
    assert champion(registry) == v2
    recorded = registry.get_model_version("m", v3).tags
    assert (recorded["val_top1"], recorded["champion_val_top1"], recorded["champion_version"]) == ("60.0", "60.0", "2")
    assert recorded["val_set"] == SET

    registry.delete_model_version_tag("m", v2, tracking.TOP1_TAG)
    v5 = registry.create_model_version("m", source=".").version
    with pytest.raises(tracking.TrackingError, match="no val_top1 tag"):
        tracking.promote_if_better(registry, "m", v5, 99.0, SET)


def test_a_top1_on_other_validation_videos_is_refused_not_compared(registry):
    # The sample's champion at 98%, then a model of the real dataset at 40%: neither beats the other.
    v1, _ = new_version(registry, 98.0, "104 videos, 13 classes, sha256 aaaaaaaaaaaa")
    v2 = registry.create_model_version("m", source=".").version
    with pytest.raises(tracking.TrackingError, match=r"another validation set \(104 videos.*register.name=m-<dataset>"):
        tracking.promote_if_better(registry, "m", v2, 40.0, "24777 videos, 174 classes, sha256 bbbbbbbbbbbb")
    assert champion(registry) == v1 and registry.get_model_version("m", v2).tags == {}
    assert tracking.champion_to_beat(registry, "no such model", SET) is None  # its first registration


def test_a_champion_from_before_validation_sets_were_recorded_is_compared_on_top1(registry):
    v1, _ = new_version(registry, 50.0)
    registry.delete_model_version_tag("m", v1, tracking.SET_TAG)
    v2, tags = new_version(registry, 60.0)
    assert champion(registry) == v2 and tags["decision"] == "promoted: 60 beats version 1's 50"


# ---------------------------------------------------------------- pure helpers


def test_video_set_names_its_size_and_changes_with_any_video_or_label():
    scored = [("3", "Moving something up"), ("1", "Moving something down"), ("2", "Moving something up")]
    fingerprint = tracking.video_set(scored)
    assert fingerprint.startswith("3 videos, 2 classes, sha256 ")
    assert tracking.video_set(reversed(scored)) == fingerprint  # the order of the rows does not matter
    relabelled = [*scored[:2], ("2", "Moving something down")]
    assert len({fingerprint, tracking.video_set(scored[:2]), tracking.video_set(relabelled)}) == 3


def test_flatten():
    assert tracking.flatten(
        {"train": {"lr": 0.05, "flip": False}, "model": {"pretrained": None}, "tune": {"lr": [0.001, 0.1]}}
    ) == {"train.lr": "0.05", "train.flip": "False", "model.pretrained": "None", "tune.lr": "[0.001, 0.1]"}


def test_data_hashes_keep_data_paths_only():
    hashes = tracking.data_hashes(LOCK, roots=["data/sample", "data"])
    assert hashes == {
        "dvc/data/parsed": "9a25ed.dir",
        "dvc/data/store": "5707e.dir",
        "dvc/data/sample/labels/something-something-v2-labels.json": "1abe1",
    }
    external = {"stages": {"parse": {"deps": [{"path": "/mnt/ssv2 (v2)/labels.json", "md5": "ab"}]}}}
    assert tracking.data_hashes(external, ["/mnt/ssv2 (v2)"]) == {"dvc/mnt/ssv2 _v2_/labels.json": "ab"}
    beside = {"stages": {"parse": {"deps": [{"path": "../ssv2/labels.json", "md5": "cd"}]}}}
    assert tracking.data_hashes(beside, ["../ssv2"]) == {"dvc/ssv2/labels.json": "cd"}
    assert tracking.data_hashes({}, ["data"]) == {}


def test_git_tags(tmp_path):
    assert tracking.git_tags(tmp_path) == {"git_commit": "unknown", "git_dirty": "unknown"}
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "dvc.lock").write_text("a")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "a")
    commit = git(tmp_path, "rev-parse", "HEAD").strip()
    assert tracking.git_tags(tmp_path) == {"git_commit": commit, "git_dirty": "false"}
    (tmp_path / "dvc.lock").write_text("b")  # `dvc repro` rewrites it as it goes
    assert tracking.git_tags(tmp_path)["git_dirty"] == "false"
    (tmp_path / "a.txt").write_text("b")
    assert tracking.git_tags(tmp_path)["git_dirty"] == "true"
