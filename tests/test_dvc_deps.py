"""dvc.yaml's code deps are the code each stage runs: derived from the imports, and seen by the real `dvc status`."""

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, copy_repo, run
from ssv2.deps import code_deps, updated_dvc_yaml


def stage_deps(root: Path) -> dict[str, list[str]]:
    return {name: stage["deps"] for name, stage in yaml.safe_load((root / "dvc.yaml").read_text())["stages"].items()}


def test_each_stage_lists_every_ssv2_file_it_imports():
    for name, deps in stage_deps(REPO).items():
        missing = set(code_deps(REPO / "stages" / f"{name}.py", REPO)) - set(deps)
        assert not missing, f"stage {name} lacks deps {sorted(missing)}: run `python -m ssv2.deps`"
    old, new = updated_dvc_yaml(REPO)
    assert old == new, "dvc.yaml's code deps are out of date (a module no longer imported?): run `python -m ssv2.deps`"


def test_imports_are_followed_through_other_modules_and_functions(tmp_path):
    (tmp_path / "stages").mkdir()
    (tmp_path / "ssv2" / "sub").mkdir(parents=True)
    (tmp_path / "stages" / "s.py").write_text("import json\nfrom ssv2 import a\n")
    (tmp_path / "ssv2" / "__init__.py").write_text("")
    (tmp_path / "ssv2" / "a.py").write_text("def f():\n    from ssv2.sub.b import g\n    return open('table.txt')\n")
    (tmp_path / "ssv2" / "table.txt").write_text("")
    (tmp_path / "ssv2" / "sub" / "__init__.py").write_text("")
    (tmp_path / "ssv2" / "sub" / "b.py").write_text("import ssv2.c\nfrom . import d\nfrom ..e import h\n")
    (tmp_path / "ssv2" / "sub" / "d.py").write_text("")
    (tmp_path / "ssv2" / "e.py").write_text("")
    (tmp_path / "ssv2" / "c.py").write_text("")
    (tmp_path / "ssv2" / "unused.py").write_text("")
    assert code_deps(tmp_path / "stages" / "s.py", tmp_path) == [
        "stages/s.py",
        "ssv2/__init__.py",
        "ssv2/a.py",
        "ssv2/c.py",
        "ssv2/e.py",
        "ssv2/sub/__init__.py",
        "ssv2/sub/b.py",
        "ssv2/sub/d.py",
        "ssv2/table.txt",
    ]


@pytest.fixture
def committed_repo(tmp_path) -> Path:
    """A git + DVC copy of the repository whose dvc.lock records every stage as run, without running any."""
    copy = copy_repo(tmp_path / "repo")
    (copy / "dvc.lock").unlink(missing_ok=True)
    run(["git", "init", "-q"], copy)
    # Placeholder data and outputs: `dvc commit` hashes what is there, and `dvc status` compares only hashes.
    params = yaml.safe_load((copy / "params.yaml").read_text())
    paths = set()
    for stage in yaml.safe_load((copy / "dvc.yaml").read_text())["stages"].values():
        outs = [o for key in ("outs", "metrics", "plots") for o in stage.get(key, [])]
        for entry in stage["deps"] + [next(iter(o)) if isinstance(o, dict) else o for o in outs]:
            paths.add(re.sub(r"\$\{(\w+)\.(\w+)\}", lambda m: params[m[1]][m[2]], entry))
    for path in sorted(paths, key=lambda p: -p.count("/")):  # files inside an output folder before the folder
        if not (copy / path).exists():
            (copy / path).parent.mkdir(parents=True, exist_ok=True)
            (copy / path).write_text("placeholder\n")
    run(["dvc", "commit", "--force", "--quiet"], copy)
    assert "up to date" in run(["dvc", "status"], copy)
    return copy


@pytest.mark.parametrize("module", ["ssv2/classes.py", "ssv2/models.py"])
def test_dvc_status_flags_every_stage_that_runs_an_edited_module(committed_repo, module):
    path = committed_repo / module
    path.write_text(path.read_text() + "\n\ndef edited() -> int:\n    return 1\n")
    changed = set(json.loads(run(["dvc", "status", "--json"], committed_repo)))
    users = {name for name, deps in stage_deps(committed_repo).items() if module in deps}
    assert changed == users
    assert {"train", "evaluate"} <= users and not users & {"sample", "parse", "materialise"}
