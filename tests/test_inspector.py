"""The inspector's library side: an image's recorded story, its nearest real training images, every teacher's
verdict."""

import numpy as np
import pytest
import torch

from prism_core.data import get_dataset, real_image_indices
from prism_core.inspector import BANK_IMAGES, inspect_image, nearest_real, split_features, zoo_probabilities
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.run_export import read_images
from prism_core.synthesis.runstore import Run, RunError

pytestmark = pytest.mark.integration


def test_a_real_init_image_names_its_start_its_teachers_and_its_copy(tmp_path, monkeypatch):
    run = Run(tmp_path / "r")
    list(synthesize(SynthConfig(method="prism", init="real", ipc=2, classes=(1, 8), iterations=2, seed=0), run.path))
    story = inspect_image(run, 8, 1)
    train = get_dataset("fashion_mnist").split("train")
    assert story.init == "first" and story.init_train_index == real_image_indices(train, [(8, 1)])[0]
    assert sum(story.bn_sets_used.values()) == 2 and all("resnet18" in s for s in story.bn_sets_used)
    assert {"ce", "bn", "total"} <= set(story.final_losses)
    with pytest.raises(RunError, match="no finished image of class 3"):
        inspect_image(run, 3, 0)
    # two steps at lr 0.05 leave the image next to the training image it started from: the memorisation check finds it
    bank = split_features("convnext_atto", "fashion_mnist", "train", tmp_path / "features")
    assert (
        bank.shape[0] == min(BANK_IMAGES, len(train))
        and bank.dtype == np.float16
        and list((tmp_path / "features").glob("*.npy"))
    )
    image01 = torch.from_numpy(read_images(run, [8], [1])[0]).float() / 255
    near = nearest_real(image01, "convnext_atto", "fashion_mnist", bank)
    assert len(near) == 5 and near[0][0] == story.init_train_index and near[0][1] > 0.95
    probs = zoo_probabilities(image01, 8, "fashion_mnist")
    assert set(probs) >= {"resnet18", "convnext_atto"} and all(0 <= p <= 1 for p in probs.values())
    assert probs["convnext_atto"] > 0.5  # a held-out model still sees a bag
