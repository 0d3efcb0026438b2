"""Parse the four SSv2 annotation files into one tidy table per split."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ssv2.config import DataConfig

SPLITS = ("train", "validation", "test")
LABELLED = ("train", "validation")
COLUMNS = ["id", "label", "class_name", "template", "placeholders", "video"]


class AnnotationError(ValueError):
    """A malformed annotation file; the message names the file and the entry."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(f"{path}: not found") from None
    except UnicodeDecodeError as e:
        raise AnnotationError(f"{path}: not UTF-8 text ({e})") from None
    except json.JSONDecodeError as e:
        raise AnnotationError(f"{path}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def read_labels(path: str | Path) -> list[str]:
    """Class names in index order from labels.json ({"<name>": "<index>"})."""
    labels = _read_json(Path(path))
    if not isinstance(labels, dict) or not labels:
        raise AnnotationError(f"{path}: expected a non-empty object mapping class names to indices")
    names: dict[int, str] = {}
    for name, index in labels.items():
        if not (isinstance(index, str) and index.isdigit()) and not (type(index) is int and index >= 0):
            raise AnnotationError(f"{path}: class {name!r} has index {index!r}, expected a number as a string")
        if int(index) in names:
            raise AnnotationError(f"{path}: classes {names[int(index)]!r} and {name!r} share index {index}")
        names[int(index)] = name
    if sorted(names) != list(range(len(names))):
        gaps = sorted(set(range(max(names) + 1)) - set(names))[:5]
        raise AnnotationError(f"{path}: indices must run 0..{len(names) - 1}; missing {gaps}")
    return [names[i] for i in range(len(names))]


def class_of(template: str) -> str:
    """The class name of an entry: its template with the square brackets removed."""
    return template.replace("[", "").replace("]", "")


def _entry_error(path: Path, position: int, entry: Any, problem: str) -> AnnotationError:
    ident = entry.get("id") if isinstance(entry, dict) else None
    where = f"entry {position}" + (f" (id {ident!r})" if ident is not None else "")
    return AnnotationError(f"{path}: {where}: {problem}")


def parse_split(path: str | Path, class_names: list[str], videos: str | Path, labelled: bool = True) -> pd.DataFrame:
    """Read one split's annotation file into a table with COLUMNS (label -1 where unlabelled)."""
    path = Path(path)
    entries = _read_json(path)
    if not isinstance(entries, list):
        raise AnnotationError(f"{path}: expected a JSON list of entries, got {type(entries).__name__}")
    index = {name: i for i, name in enumerate(class_names)}
    rows, seen = [], {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _entry_error(path, position, entry, f"expected an object, got {entry!r}")
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident.isdigit():
            raise _entry_error(path, position, entry, f"'id' must be a string of digits, got {ident!r}")
        if ident in seen:
            raise _entry_error(path, position, entry, f"duplicated id, first seen at entry {seen[ident]}")
        seen[ident] = position
        row = {"id": ident, "label": -1, "class_name": "", "template": "", "placeholders": "[]"}
        if labelled:
            template, placeholders = entry.get("template"), entry.get("placeholders")
            if not isinstance(template, str):
                raise _entry_error(path, position, entry, f"'template' must be a string, got {template!r}")
            if not isinstance(placeholders, list) or not all(isinstance(p, str) for p in placeholders):
                raise _entry_error(
                    path, position, entry, f"'placeholders' must be a list of strings, got {placeholders!r}"
                )
            name = class_of(template)
            if name not in index:
                close = difflib.get_close_matches(name, class_names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise _entry_error(
                    path,
                    position,
                    entry,
                    f"class {name!r} (from template {template!r}) is not in the labels file{hint}",
                )
            row.update(
                label=index[name],
                class_name=name,
                template=template,
                placeholders=json.dumps(placeholders, ensure_ascii=False),
            )
        row["video"] = str(Path(videos) / f"{ident}.webm")
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def parse_dataset(data: DataConfig) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """Class names and the train, validation and test tables of a dataset in the SSv2 layout."""
    class_names = read_labels(data.path("labels"))
    tables = {
        split: parse_split(data.path(split), class_names, data.path("videos"), split in LABELLED) for split in SPLITS
    }
    owner: dict[str, str] = {}
    for split, table in tables.items():
        for ident in table["id"]:
            if ident in owner:
                raise AnnotationError(
                    f"{data.path(split)}: id {ident!r} is also in {data.path(owner[ident])}; "
                    "a video must belong to one split"
                )
            owner[ident] = split
    return class_names, tables


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a split table as CSV (placeholders as JSON text)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table written by write_table, keeping ids as strings."""
    return pd.read_csv(
        path,
        dtype={"id": str, "label": "int64", "class_name": str, "template": str, "placeholders": str, "video": str},
        keep_default_na=False,
    )
