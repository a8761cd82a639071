"""Selection rules on the real Fashion-MNIST training split, scored by the shipped zoo's regnetx_002."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from prism_core.data import class_indices
from prism_core.selection import (
    RULES,
    Candidates,
    SelectionError,
    get_rule,
    random_real_subset,
)

CANDIDATES = 200  # per class: enough for the rules to differ from chance, seconds on 2 cores


@pytest.fixture(scope="module")
def scored(train, selector):
    """Class 6 (shirt, the hardest class): 200 seeded candidates with the selector's features and logits."""
    idx = np.sort(np.random.default_rng(0).choice(class_indices(train, 6), CANDIDATES, replace=False))
    return Candidates(6, idx, *selector(train.load(idx)))


def _mean_gap(f: torch.Tensor, chosen) -> float:
    f = F.normalize(f, dim=1)
    return float((f[chosen].mean(0) - f.mean(0)).norm())


def _radius(f: torch.Tensor, chosen) -> float:
    """The k-center objective: the farthest any candidate is from its nearest chosen image."""
    f = F.normalize(f, dim=1)
    return float(torch.cdist(f, f[chosen]).min(1).values.max())


@pytest.mark.parametrize("rule, objective", [("herding", _mean_gap), ("kcenter", _radius)])
def test_herding_and_kcenter_beat_random_draws_at_their_own_objective(scored, rule, objective):
    """Herding keeps the class mean (gap of the chosen mean), k-center covers the class (farthest candidate)."""
    chosen = RULES[rule].order(scored, 10, np.random.default_rng(0))
    randoms = [
        objective(scored.features, np.random.default_rng(s).choice(CANDIDATES, 10, replace=False)) for s in range(20)
    ]
    assert len(set(chosen.tolist())) == 10
    assert objective(scored.features, chosen) < min(randoms)


def test_easy_takes_the_lowest_losses_and_difficulty_moves_harder_with_the_budget(scored):
    losses = scored.losses()
    easy = RULES["easy"].order(scored, 10, np.random.default_rng(0))
    rest = np.setdiff1d(np.arange(CANDIDATES), easy)
    assert losses[easy].max() <= losses[rest].min()
    rank = {
        int(i): r
        for r, i in enumerate(
            torch.argsort((scored.logits.softmax(1) - F.one_hot(torch.tensor(6), 10)).norm(dim=1), stable=True)
        )
    }
    at = {
        ipc: np.median([rank[int(i)] for i in RULES["difficulty"].order(scored, ipc, np.random.default_rng(0))])
        for ipc in (1, 10, 50)
    }
    assert at[1] < CANDIDATES * 0.1  # IPC 1: within the easiest tenth
    assert at[1] < at[10] < at[50]  # a bigger budget places the window on harder images
    assert RULES["difficulty"].order(scored, 1, np.random.default_rng(0)).tolist() != easy[:1].tolist()


def test_random_and_first_rules_are_the_baselines(train):
    x, y = random_real_subset("fashion_mnist", [0, 3], 5, seed=1)
    again = RULES["random"].pick(train, [0, 3], 5, 1, None)
    assert torch.equal(x, torch.cat([again[0].images01, again[3].images01]))
    assert y.tolist() == [0] * 5 + [3] * 5
    other = RULES["random"].pick(train, [0, 3], 5, 2, None)
    assert other[0].sources != again[0].sources  # a new draw per seed
    first = RULES["first"].pick(train, [4], 3, 7, None)[4]
    assert [s[0] for s in first.sources] == class_indices(train, 4)[:3].tolist()
    assert torch.equal(first.images01, train.load(class_indices(train, 4)[:3]))


def test_ccs_leaves_out_the_hardest_tenth_and_spans_the_rest_of_the_score_range(scored):
    el2n = scored.el2n()
    chosen = RULES["ccs"].order(scored, 10, np.random.default_rng(0))
    assert len(set(chosen.tolist())) == 10
    hardest = np.argsort(el2n, kind="stable")[-CANDIDATES // 10 :]
    assert not set(chosen.tolist()) & set(hardest.tolist())
    easy = RULES["easy"].order(scored, 10, np.random.default_rng(0))
    assert np.ptp(el2n[chosen]) > 3 * np.ptp(el2n[easy])  # coverage of the scores, not their easy end
    again = RULES["ccs"].order(scored, 10, np.random.default_rng(0))
    assert again.tolist() == chosen.tolist() != RULES["ccs"].order(scored, 10, np.random.default_rng(1)).tolist()


@pytest.mark.parametrize("rule", ["herding", "kcenter", "easy", "difficulty", "ccs"])
def test_a_coreset_is_real_training_images_of_its_class_and_seeded(train, selector, rule):
    picked = get_rule(rule).pick(train, [1, 6], 4, seed=0, selector=selector, candidates=100)
    for c, p in picked.items():
        idx = [s[0] for s in p.sources]
        assert len(set(idx)) == 4 and all(train.labels[i] == c for i in idx)
        assert torch.equal(p.images01, train.load(idx))
    assert get_rule(rule).pick(train, [1], 4, 0, selector, 100)[1].sources == picked[1].sources
    assert get_rule(rule).pick(train, [1], 4, 1, selector, 100)[1].sources != picked[1].sources


@pytest.mark.parametrize("rule", ["herding", "kcenter", "easy", "difficulty", "ccs"])
def test_fewer_candidates_than_the_ipc_is_refused_before_anything_is_picked(train, selector, rule):
    # with 5 candidates and IPC 10, herding and k-center returned 5 unique images of 10, difficulty each twice
    with pytest.raises(SelectionError, match="5 candidates per class cannot give IPC 10 distinct images"):
        get_rule(rule).pick(train, [0], 10, 0, selector, candidates=5)
    assert len({s[0] for s in get_rule(rule).pick(train, [0], 10, 0, selector, candidates=10)[0].sources}) == 10


def test_k_center_starts_at_a_seeded_random_image_unless_told_the_class_mean(train, selector):
    from prism_core.selection import KCenter

    herding = RULES["herding"].pick(train, [3], 1, 0, selector, 200)[3].sources
    mean = KCenter("mean").pick(train, [3], 1, 0, selector, 200)[3].sources
    assert mean == herding  # the nearest image to the mean is herding's first: why random is the default
    runs = {s: RULES["kcenter"].pick(train, [3], 4, s, selector, 200)[3].sources for s in (0, 0, 1)}
    assert len(runs) == 2 and runs[0] != runs[1] and runs[0][0] != mean[0]
    assert (
        RULES["kcenter"].configured("mean").start == "mean"
        and RULES["kcenter"].configured("random") is RULES["kcenter"]
    )
    with pytest.raises(SelectionError, match="'random' or 'mean'"):
        KCenter("middle")


def test_a_rule_says_what_is_missing(train, selector):
    with pytest.raises(SelectionError, match="fewer than IPC"):
        RULES["random"].pick(train, [0], 7000, 0, None)
    with pytest.raises(SelectionError, match="needs a selector"):
        RULES["herding"].pick(train, [0], 2, 0, None)
    with pytest.raises(SelectionError, match="one of first, random"):
        get_rule("coreset")
