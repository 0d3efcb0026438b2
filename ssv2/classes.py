"""Relations between classes, derived from their names so they hold for any labels file."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Phrases whose swap turns a class into its time reversal ("Moving something up" played
# backwards is "Moving something down"). Whole names pair where no phrase swap does.
REVERSED_PHRASES = [
    ("up", "down"),
    ("left to right", "right to left"),
    ("left", "right"),
    ("closer to", "away from"),
    ("towards", "away from"),
    ("opening", "closing"),
    ("folding", "unfolding"),
    ("Approaching something with your camera", "Moving away from something with your camera"),
    ("Covering something with something", "Uncovering something"),
    ("Putting something into something", "Taking something out of something"),
]


def _swap(name: str, a: str, b: str) -> str:
    """`name` with every whole-word `a` and `b` exchanged (case of the first letter kept)."""
    pattern = re.compile(rf"\b({re.escape(a)}|{re.escape(b)})\b", re.IGNORECASE)

    def replace(match: re.Match) -> str:
        other = b if match.group(0).lower() == a.lower() else a
        return other[0].upper() + other[1:] if match.group(0)[0].isupper() else other[0].lower() + other[1:]

    return pattern.sub(replace, name)


def flip_map(class_names: list[str]) -> list[int]:
    """For each class, the class a horizontal flip turns it into (itself for most)."""
    index = {name: i for i, name in enumerate(class_names)}
    return [index.get(_swap(name, "left", "right"), i) for i, name in enumerate(class_names)]


def reverse_map(class_names: list[str]) -> list[int]:
    """For each class, the class its clips become when played backwards (itself where none is named)."""
    partner = list(range(len(class_names)))
    for a, b in reversal_pairs(class_names):
        partner[a], partner[b] = b, a
    return partner


def reversible(class_names: list[str], labels: Iterable[int]) -> bool:
    """Whether every class among `labels` (class indices, e.g. the training split's) has a time-reversal
    partner: train.reverse then showed the network each of them played backwards, so a backward view of
    any clip reads as its partner's (evaluate.reverse). A one-way class ("Dropping something") was never
    seen backwards, and most of real SSv2's 174 have no partner."""
    partner = reverse_map(class_names)
    return all(partner[k] != k for k in set(labels))


def reversal_pairs(class_names: list[str]) -> list[tuple[int, int]]:
    """Pairs of classes that are each other's time reversal, as sorted index pairs."""
    index = {name: i for i, name in enumerate(class_names)}
    pairs = set()
    for i, name in enumerate(class_names):
        for a, b in REVERSED_PHRASES:
            j = index.get(_swap(name, a, b))
            if j is not None and j != i:
                pairs.add((min(i, j), max(i, j)))
    return sorted(pairs)
