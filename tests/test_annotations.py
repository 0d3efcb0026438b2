import json

import pytest

from conftest import write_dataset
from ssv2.annotations import AnnotationError, parse_dataset, parse_split, read_labels, read_table, write_table
from ssv2.config import DataConfig

LABELS = {
    "Holding something next to something": "1",
    "Approaching something with your camera": "0",
    "Moving something up": "2",
}
NAMES = ["Approaching something with your camera", "Holding something next to something", "Moving something up"]


def entry(ident, template="Holding [something] next to [something]", placeholders=("potato", "mug")):
    label = template.replace("[something]", "{}").format(*placeholders)
    return {"id": ident, "label": label.lower(), "template": template, "placeholders": list(placeholders)}


def data_config(root):
    return DataConfig(
        str(root),
        "labels/something-something-v2-labels.json",
        "labels/something-something-v2-train.json",
        "labels/something-something-v2-validation.json",
        "labels/something-something-v2-test.json",
        "20bn-something-something-v2",
    )


def test_tricky_entries_round_trip_through_the_table(tmp_path):
    tricky = ['a "red" cup, small', "crème brûlée", "Müller's mug", "日本茶の缶"]
    train = [
        entry("78687", placeholders=tricky[:2]),
        entry("12", "Moving [something] up", tricky[2:3]),
        entry("5", placeholders=(tricky[3], "")),
    ]
    root = write_dataset(tmp_path, LABELS, {"train": train, "validation": [entry("7")], "test": [{"id": "1420"}]})
    names, tables = parse_dataset(data_config(root))
    assert names == NAMES  # index order from labels.json, not from the classes that occur
    table = tables["train"]
    assert table["label"].tolist() == [1, 2, 1]
    assert table["class_name"][1] == "Moving something up"
    assert table["video"][0].endswith("20bn-something-something-v2/78687.webm")
    assert tables["test"]["label"].tolist() == [-1]
    write_table(table, tmp_path / "train.csv")
    back = read_table(tmp_path / "train.csv")
    assert back.equals(table)
    assert [json.loads(p) for p in back["placeholders"]] == [tricky[:2], tricky[2:3], [tricky[3], ""]]


@pytest.mark.parametrize(
    "entries, message",
    [
        ([entry("1"), entry("1")], r"entry 1 \(id '1'\): duplicated id, first seen at entry 0"),
        (
            [entry("1", "Moving [something] upp")],
            r"class 'Moving something upp' .* not in the labels file; did you mean 'Moving something up'",
        ),
        ([entry(78687)], r"'id' must be a string of digits, got 78687"),
        ([{"id": "3", "template": "Moving [something] up"}], r"'placeholders' must be a list of strings"),
        ([["not", "an", "object"]], r"entry 0: expected an object"),
        ({"id": "3"}, r"expected a JSON list of entries, got dict"),
    ],
)
def test_malformed_entries_name_the_file_and_entry(tmp_path, entries, message):
    path = tmp_path / "train.json"
    path.write_text(json.dumps(entries))
    with pytest.raises(AnnotationError, match=rf"{path}: .*{message}" if "entry" in message else message):
        parse_split(path, NAMES, tmp_path)


def test_invalid_json_names_line_and_column(tmp_path):
    path = tmp_path / "train.json"
    path.write_text('[{"id": "1",\n  "template": }]')
    with pytest.raises(AnnotationError, match=rf"{path}: not valid JSON: .* line 2 column"):
        parse_split(path, NAMES, tmp_path)


def test_id_in_two_splits_is_an_error(tmp_path):
    root = write_dataset(tmp_path, LABELS, {"train": [entry("9")], "validation": [entry("9")], "test": []})
    with pytest.raises(AnnotationError, match=r"validation.json: id '9' is also in .*train.json"):
        parse_dataset(data_config(root))


@pytest.mark.parametrize(
    "labels, message",
    [
        ({"A": "0", "B": "0"}, "share index 0"),
        ({"A": "0", "B": "2"}, r"indices must run 0..1; missing \[1\]"),
        ({"A": "zero"}, "expected a number as a string"),
        ([], "expected a non-empty object"),
    ],
)
def test_bad_labels_file(tmp_path, labels, message):
    path = tmp_path / "labels.json"
    path.write_text(json.dumps(labels))
    with pytest.raises(AnnotationError, match=message):
        read_labels(path)


def test_missing_file(tmp_path):
    with pytest.raises(AnnotationError, match="labels.json: not found"):
        read_labels(tmp_path / "labels.json")
