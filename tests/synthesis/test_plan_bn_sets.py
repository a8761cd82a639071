import random
from collections import Counter

import pytest

from prism_core.synthesis import SynthConfig, get_method, make_plan, resolve
from prism_core.synthesis.bn_sets import draw_bn_set

POOL = ("a", "b", "c", "d")


def cfg(**kw):
    return resolve(SynthConfig(**kw), get_method(kw["method"]), image_size=32, num_classes=10)


def plan_of(c):
    return make_plan(c, get_method(c.method))


def test_official_rule_distribution_matches_the_reference_code():
    rng = random.Random(0)
    sizes = Counter(len(draw_bn_set("p", POOL, "official", 0, True, rng)) for _ in range(8000))
    for size, p in ((1, 1 / 8), (2, 3 / 8), (3, 3 / 8), (4, 1 / 8)):
        assert abs(sizes[size] / 8000 - p) < 0.02


def test_k_rule_and_primary_exclusion():
    rng = random.Random(0)
    for _ in range(50):
        s = draw_bn_set("p", POOL, "k", 3, True, rng)
        assert s[0] == "p" and len(s) == 3 and len(set(s)) == 3
        s = draw_bn_set("p", POOL, "official", 0, False, rng)
        assert "p" not in s and 1 <= len(s) <= 3


def _group_view(plan):
    """(ipc indices, classes, seed, bn set) of every group, wherever the plan packed it."""
    out = []
    for b in plan:
        n = len(b.classes) // b.groups
        for g in range(b.groups):
            out.append((b.ipc_indices[g * n : (g + 1) * n], b.classes[g * n : (g + 1) * n], b.seeds[g], b.bn_sets[g]))
    return sorted(out)


def test_cross_class_plan_and_shared_pre_selection():
    plan = plan_of(cfg(method="prism", ipc=3, batch_size=4, seed=1))
    pairs = [(c, k) for b in plan for c, k in zip(b.classes, b.ipc_indices)]
    assert sorted(pairs) == [(c, k) for c in range(10) for k in range(3)]  # every image exactly once
    assert all(len(b.classes) <= 4 for b in plan)
    groups = _group_view(plan)
    assert all(len(set(ks)) == 1 for ks, *_ in groups)  # a group is one IPC index across classes
    for k in range(3):  # one S per IPC index, as the official code draws it
        assert len({s for ks, _, _, s in groups if ks[0] == k}) == 1
    assert plan_of(cfg(method="prism", ipc=3, batch_size=4, seed=1)) == plan  # seeded and reproducible
    assert len({seed for _, _, seed, _ in groups}) == len(groups)


def test_small_class_counts_pack_ipc_indices_into_one_batch_without_changing_any_group():
    packed = plan_of(cfg(method="prism", ipc=10, batch_size=100, seed=2))
    assert len(packed) == 1 and packed[0].groups == 10 and len(packed[0].classes) == 100
    unpacked = plan_of(cfg(method="prism", ipc=10, batch_size=10, seed=2))
    assert len(unpacked) == 10 and all(b.groups == 1 for b in unpacked)
    assert _group_view(packed) == _group_view(unpacked)


def test_class_grouped_plan():
    plan = plan_of(cfg(method="gvbsm", ipc=4, batch_size=8, classes=(0, 1, 2)))
    assert plan[0].classes == (0, 0, 0, 0, 1, 1, 1, 1) and plan[0].ipc_indices == (0, 1, 2, 3, 0, 1, 2, 3)
    assert plan[1].classes == (2, 2, 2, 2)
    assert all(b.groups == 1 for b in plan)  # G-VBSM's statistics span the whole batch


def test_varying_iterations_scaled_to_budget():
    plan = plan_of(cfg(method="prism", ipc=9, iterations=400, vary_iterations=True, batch_size=10))
    assert [b.iterations for b in plan] == [400, 350, 300, 250, 200, 150, 100, 50, 400]
    packed = plan_of(cfg(method="prism", ipc=9, iterations=400, vary_iterations=True))
    assert [b.iterations for b in packed] == [400, 350, 300, 250, 200, 150, 100, 50]
    assert set(packed[0].ipc_indices) == {0, 8}  # only groups with the same budget share a batch


def test_config_json_round_trip_and_unknown_keys():
    c = cfg(method="gvbsm", ipc=2)
    assert SynthConfig.from_json(c.to_json()) == c
    from prism_core.synthesis import ConfigError

    with pytest.raises(ConfigError, match="unknown config keys: colour"):
        SynthConfig.from_dict({"colour": 1})
    with pytest.raises(ConfigError, match="not valid JSON"):
        SynthConfig.from_json("{nope")
