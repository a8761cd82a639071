"""Classifier training as a user's folder needs it: a stratified validation split, an update budget with a floor,
the best validation epoch kept, and a diverged run that says what to change."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from prism_core.data import FashionMNIST
from prism_core.teachers import build_network, get_spec
from prism_core.training import TrainConfig, TrainingError, hold_out, train_classifier


def test_the_validation_split_is_stratified_disjoint_and_seeded():
    labels = np.repeat(np.arange(4), [50, 20, 3, 2])
    train, val = hold_out(labels, 0.1, seed=0)
    assert not set(train) & set(val) and len(train) + len(val) == len(labels)
    assert [int((labels[val] == c).sum()) for c in range(4)] == [5, 2, 1, 1]  # at least one, never the whole class
    assert np.array_equal(val, hold_out(labels, 0.1, seed=0)[1])
    assert not np.array_equal(val, hold_out(labels, 0.1, seed=1)[1])
    assert len(hold_out(labels, 0.0, seed=0)[1]) == 0


def test_a_small_dataset_gets_the_update_floor_and_a_large_one_its_epochs():
    cfg = TrainConfig(epochs=4, min_updates=600, batch_size=128)
    assert cfg.epochs_for(1_260) == 60  # 10 batches an epoch: 60 epochs give 600 updates
    assert cfg.epochs_for(54_000) == 4  # 422 batches an epoch: the epochs already give 1,688
    assert replace(cfg, min_updates=0).epochs_for(1_260) == 4


def _model(info):
    spec = get_spec("lcnet_050")
    torch.manual_seed(0)
    return build_network(spec, info.num_classes, info.channels)


def test_training_scores_epochs_on_validation_and_keeps_the_best(tiny_idx_dir):
    data = FashionMNIST(tiny_idx_dir)
    model = _model(data.info)
    events = list(train_classifier(model, data, TrainConfig(epochs=3, min_updates=0, batch_size=8)))
    assert [e.epoch for e in events] == [1, 2, 3]
    assert all(e.val_top1 is not None and e.test_top1 is None for e in events)  # test is never used to choose
    best = max(e.val_top1 for e in events)
    _, val = hold_out(data.split("train").labels, 0.1, 0)
    from prism_core.training import top1

    assert top1(model, data.split("train"), data.info, indices=val) == pytest.approx(best)


def test_a_loss_that_diverges_at_once_is_a_clear_error(tiny_idx_dir):
    data = FashionMNIST(tiny_idx_dir)
    with pytest.raises(TrainingError, match="non-finite at update .*lower the learning rate"):
        list(train_classifier(_model(data.info), data, TrainConfig(epochs=2, min_updates=0, lr=1e30, batch_size=8)))
