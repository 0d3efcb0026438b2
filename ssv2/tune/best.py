"""The best trial's params: written to tune.out while the study runs, applied from there to params.yaml."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import optuna
import yaml
from optuna.trial import TrialState
from ruamel.yaml import YAML

from ssv2 import config
from ssv2.checkpoint import atomic_write
from ssv2.config import ModelConfig, ParamsError, TrainConfig
from ssv2.tune.search import PARAM_KEYS


@dataclass(frozen=True)
class BestTrial:
    """The best completed trial of a study, its params under their params.yaml keys."""

    study: str
    trial: int
    val_top1: float
    params: dict[str, Any]


def best_trial(study: optuna.Study) -> BestTrial | None:
    """The study's best completed trial (None if none completed yet)."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    best = study.best_trial
    params = {PARAM_KEYS[name]: value for name, value in best.params.items()}
    return BestTrial(study.study_name, best.number, best.value, params)


def write_best(best: BestTrial, path: str | Path) -> None:
    header = "# Best trial of an Optuna study; `python -m ssv2.tune apply` writes its params into params.yaml.\n"
    text = header + yaml.safe_dump(asdict(best), sort_keys=False)
    atomic_write(path, lambda f: f.write(text.encode()))  # workers on one machine may write it at once


def _round_trip_yaml() -> YAML:
    """ruamel.yaml set to write params.yaml back as it is written: block lists indented, null spelt out."""
    rt = YAML()
    rt.width = 4096  # never fold a long comment line
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    # PyYAML, which config.load_params uses, reads floats such as 1e-05 as strings: write its spelling, 1.0e-05.
    rt.representer.add_representer(
        float, lambda r, v: r.represent_scalar("tag:yaml.org,2002:float", yaml.safe_dump(v).split("\n")[0])
    )
    return rt


def apply_best(best_file: str | Path, params_file: str | Path = config.PARAMS_FILE) -> dict[str, tuple[Any, Any]]:
    """Write the params of `best_file` into `params_file`, keeping its comments; returns key -> (old, new)."""
    best_file, params_file = Path(best_file), Path(params_file)
    if not best_file.is_file():
        raise FileNotFoundError(f"{best_file}: not found; run `python -m ssv2.tune` first")
    params = (yaml.safe_load(best_file.read_text()) or {}).get("params")
    if not isinstance(params, dict) or not params or set(params) - set(PARAM_KEYS.values()):
        raise ParamsError(
            f"{best_file}: 'params' must map some of {', '.join(PARAM_KEYS.values())} to values, got {params!r}"
        )
    rt = _round_trip_yaml()
    document = rt.load(params_file.read_text())
    old = {}
    for key, value in params.items():
        section, name = key.split(".")
        if name not in document.get(section, {}):
            raise ParamsError(f"{params_file}: no key {key}")
        old[key], document[section][name] = document[section][name], value
    out = io.StringIO()
    rt.dump(document, out)
    text = out.getvalue()
    new = yaml.safe_load(text)
    for key, value in params.items():  # the edit must read back as exactly the best value
        section, name = key.split(".")
        if new[section][name] != value:
            raise ParamsError(f"{params_file}: writing {key}: {value!r} read back as {new[section][name]!r}")
    config.from_dict(ModelConfig, new["model"], "model", str(params_file))
    config.from_dict(TrainConfig, new["train"], "train", str(params_file))
    atomic_write(params_file, lambda f: f.write(text.encode()))
    return {key: (old[key], value) for key, value in params.items()}
