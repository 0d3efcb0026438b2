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
