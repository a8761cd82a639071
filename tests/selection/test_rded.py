"""RDED: crops the observer finds realistic, stitched patch i + k·IPC into cell k, four patches of the class above
64 px."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from prism_core.data import class_indices, get_dataset
from prism_core.selection import RULES, SelectionError, Selector
from prism_core.selection.rded import stitch
from prism_core.teachers import create_teacher


def test_rded_keeps_patches_the_observer_finds_realistic(train, selector):
    picked = RULES["rded"].pick(train, [6], 5, seed=0, selector=selector, candidates=60)[6]
    assert (
        picked.images01.shape == (5, *train.load([0]).shape[1:])
        and 0 <= picked.images01.min()
        and picked.images01.max() <= 1
    )
    assert all(len(s) == 1 and train.labels[s[0]] == 6 for s in picked.sources)  # factor 1 at 32 px: one crop each
    chosen = selector(picked.images01)[1]
    truth = torch.full((5,), 6)
    # the kept crops are ones the observer is surer of than the uncropped random training images of the class
    randoms = train.load(np.random.default_rng(0).choice(class_indices(train, 6), 50, replace=False))
    assert F.cross_entropy(chosen, truth) < F.cross_entropy(selector(randoms)[1], torch.full((50,), 6))


def test_rded_stitches_patch_i_plus_k_ipc_into_cell_k():
    patches = torch.arange(8, dtype=torch.float32).view(8, 1, 1, 1).expand(8, 1, 3, 3) / 10
    out = stitch(patches, factor=2, ipc=2, size=7)  # 7 px: the first row and column are a pixel wider
    assert out.shape == (2, 1, 7, 7)
    assert out[1, 0, 0, 0] == 0.1 and out[1, 0, 0, 6] == 0.3 and out[1, 0, 6, 0] == 0.5 and out[1, 0, 6, 6] == 0.7
    assert out[0, 0, 3, 3] == 0.0 and out[0, 0, 4, 4] == 0.6


def test_above_64_px_rded_stitches_four_patches_of_its_own_class(tmp_path):
    """An ImageFolder at 96 px: each RDED image is a 2 x 2 collage whose four patches come from the class's images
    (the observer here has random weights: the geometry and provenance are what is checked)."""
    from tests.conftest import image_tree

    root = image_tree(tmp_path / "tree", per_class=8, size=(96, 96))
    ds = get_dataset(f"folder:{root}:96")
    observer = Selector(create_teacher("resnet18", ds.info, weights="random").model, ds.info)
    train = ds.split("train")
    picked = RULES["rded"].pick(train, [0, 1], 2, seed=0, selector=observer, candidates=0)
    for c, p in picked.items():
        assert p.images01.shape == (2, 3, 96, 96)
        assert all(len(s) == 4 and {int(train.labels[i]) for i in s} == {c} for s in p.sources)
    with pytest.raises(SelectionError, match="stitches 12 patches per class"):
        RULES["rded"].pick(train, [0], 3, seed=0, selector=observer, candidates=0)
