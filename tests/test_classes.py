from ssv2.classes import flip_map, reversal_pairs, reverse_map, reversible


def test_flip_map_matches_the_official_left_right_pairs(ssv2_names):
    swapped = {i: j for i, j in enumerate(flip_map(ssv2_names)) if i != j}
    assert swapped == {86: 87, 87: 86, 93: 94, 94: 93, 166: 167, 167: 166}


def test_flip_map_works_for_any_labels_file():
    names = ["Moving something up", "Pushing something from right to left", "Pushing something from left to right"]
    assert flip_map(names) == [0, 2, 1]


def test_reversal_pairs_from_names(ssv2_names):
    pairs = {(ssv2_names[i], ssv2_names[j]) for i, j in reversal_pairs(ssv2_names)}
    assert ("Moving something down", "Moving something up") in pairs
    assert ("Covering something with something", "Uncovering something") in pairs
    assert ("Approaching something with your camera", "Moving away from something with your camera") in pairs
    assert ("Pushing something from left to right", "Pushing something from right to left") in pairs
    assert all(i < j for i, j in reversal_pairs(ssv2_names))
    # Classes without a counterpart in the file pair with nothing.
    assert reversal_pairs(["Moving something up", "Holding something"]) == []


def test_reverse_map_is_an_involution_over_the_pairs(ssv2_names):
    partner = reverse_map(ssv2_names)
    assert all(partner[partner[i]] == i for i in range(len(ssv2_names)))
    assert ssv2_names[partner[ssv2_names.index("Moving something up")]] == "Moving something down"
    assert reverse_map(["Holding something", "Moving something down", "Moving something up"]) == [0, 2, 1]


def test_reversible_asks_every_class_used_for_a_partner(ssv2_names):
    index = {name: i for i, name in enumerate(ssv2_names)}
    pairs = [index[n] for n in ("Moving something up", "Moving something down", "Pushing something from left to right")]
    assert reversible(ssv2_names, pairs + pairs)
    assert not reversible(ssv2_names, [*pairs, index["Dropping something onto something"]])  # a one-way class
    assert not reversible(ssv2_names, range(len(ssv2_names)))  # real SSv2: 150 of its 174 classes have no partner
    assert sum(i == j for i, j in enumerate(reverse_map(ssv2_names))) == 150
