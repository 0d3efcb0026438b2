"""Integration at the edges: the core of ssv2 imports without MLflow or Optuna and does no work when imported."""

import subprocess
import sys

from conftest import REPO

CORE = [
    "config",
    "paths",
    "annotations",
    "classes",
    "video",
    "store",
    "sample",
    "data",
    "models",
    "engine",
    "checkpoint",
    "distributed",
    "training",
    "inference",
    "predict",
    "report",
    "deps",
]
# What the sample, parse and materialise stages import. Their pools start a fresh process per core
# (video.process_context) that imports ssv2.sample or ssv2.store: torch with torchvision would cost each
# about 10 s and 0.9 GB of resident memory.
DATA_STAGES = ["config", "paths", "annotations", "video", "store", "sample"]


def test_core_modules_import_without_mlflow_or_optuna_and_choose_no_plot_backend():
    code = (
        "import importlib, sys\n"
        "sys.modules['mlflow'] = sys.modules['optuna'] = None  # importing either now raises ImportError\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(f'ssv2.{name}')\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported: it picks a GUI backend'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_data_stages_and_their_workers_import_no_pytorch():
    code = (
        "import importlib, sys\n"
        f"for name in {DATA_STAGES!r}:\n"
        "    importlib.import_module(f'ssv2.{name}')\n"
        "print(sorted(m for m in ('torch', 'torchvision') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "[]\n", result.stdout + result.stderr
