"""The code each DVC stage runs, derived from its imports, so that dvc.yaml's deps cannot drift from the code.

    python -m ssv2.deps          # rewrite the code deps of every stage in dvc.yaml (comments kept)
    python -m ssv2.deps --check  # exit 1 if dvc.yaml is out of date

A stage `name` runs stages/<name>.py; its code deps are that script, every module of the ssv2
package it imports, directly or through other ssv2 modules (imports inside functions count), the
`__init__.py` of each package on the way, and the package's data files that those modules name.
Listing modules rather than the whole package keeps a change to the training code from rerunning
the data stages, which take hours on the real dataset.
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
from pathlib import Path

from ruamel.yaml import YAML

PACKAGE = "ssv2"
CODE_ROOTS = ("stages/", f"{PACKAGE}/")  # the deps in dvc.yaml that this module writes; data deps are left alone


def _module_file(root: Path, name: str) -> Path | None:
    """The file of module `name` (dotted) under root, if it is part of the package."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.AST, package: list[str]) -> set[str]:
    """Dotted names of the package's modules that a module of `package` imports (or may: `from a import b`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []  # `from . import x`
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)  # `from ssv2 import config`
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def _data_files(tree: ast.AST, folder: Path) -> set[Path]:
    """The files beside a module that it names in a string, such as a package data file."""
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return {p for p in folder.iterdir() if p.is_file() and p.suffix != ".py" and p.name in strings}


def code_deps(script: Path, root: Path = Path(".")) -> list[str]:
    """The script, then every package file it runs in sorted order, as paths relative to root."""
    files, todo = set(), [script]
    while todo:
        path = todo.pop()
        if path in files:
            continue
        files.add(path)
        if path.suffix != ".py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        todo.extend(_data_files(tree, path.parent) - files)
        package = list(path.relative_to(root).parent.parts)
        for name in _imported_names(tree, package):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__.py and a/b/__init__.py first
                module = _module_file(root, ".".join(parts[:i]))
                if module is not None and module not in files:
                    todo.append(module)
    files.remove(script)
    return [p.relative_to(root).as_posix() for p in [script, *sorted(files)]]


def _yaml() -> YAML:
    rt = YAML()
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def updated_dvc_yaml(root: Path = Path(".")) -> tuple[str, str]:
    """dvc.yaml's text as it is, and with each stage's code deps derived from stages/<name>.py."""
    text = (root / "dvc.yaml").read_text(encoding="utf-8")
    document = _yaml().load(text)
    for name, stage in document["stages"].items():
        deps = stage.setdefault("deps", [])
        data = [d for d in deps if not (isinstance(d, str) and d.startswith(CODE_ROOTS))]
        deps[:] = code_deps(root / "stages" / f"{name}.py", root) + data
    out = io.StringIO()
    _yaml().dump(document, out)
    return text, out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ssv2.deps", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml's code deps are out of date")
    args = parser.parse_args(argv)
    old, new = updated_dvc_yaml()
    if old == new:
        print("dvc.yaml: every stage's code deps are up to date")
    elif args.check:
        sys.exit("dvc.yaml: code deps out of date; run `python -m ssv2.deps`")
    else:
        Path("dvc.yaml").write_text(new, encoding="utf-8")
        print("dvc.yaml: code deps updated")


if __name__ == "__main__":
    main()
