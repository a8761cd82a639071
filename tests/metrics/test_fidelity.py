"""Fidelity: precision, recall, density and coverage tell real-like images from far-away ones."""

import torch

from prism_core.metrics import prdc


def test_prdc_separates_real_like_from_far_away():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(200, 8, generator=g)
    near = prdc(real, torch.randn(100, 8, generator=g))
    far = prdc(real, torch.randn(100, 8, generator=g) + 20)
    assert near.precision > 0.8 and near.coverage > 0.5
    assert far.precision == 0 and far.coverage == 0 and far.recall == 0
