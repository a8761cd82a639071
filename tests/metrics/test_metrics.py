import numpy as np
import pytest
import torch

from prism_core.metrics import cosine_matrix, embed_sets, intra_class_cosine, mean_offdiag, prdc, summarize


def test_cosine_metric_on_known_vectors():
    f = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # pairs: (0,1)=0, (0,2)=(1,2)=1/sqrt(2); mean of the 6 off-diagonal entries
    assert mean_offdiag(cosine_matrix(f)) == pytest.approx((0 + 2 * 2 ** -0.5) / 3)
    per = intra_class_cosine(torch.cat([f, f[:1].repeat(3, 1)]), np.array([0, 0, 0, 1, 1, 1]))
    assert per[1] == pytest.approx(1.0)  # identical images give 1.0
    s = summarize(per)
    assert s["mean"] == pytest.approx((per[0] + 1) / 2)


def test_prdc_separates_real_like_from_far_away():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(200, 8, generator=g)
    near = prdc(real, torch.randn(100, 8, generator=g))
    far = prdc(real, torch.randn(100, 8, generator=g) + 20)
    assert near["precision"] > 0.8 and near["coverage"] > 0.5
    assert far["precision"] == 0 and far["coverage"] == 0 and far["recall"] == 0


@pytest.mark.integration  # umap's first call JIT-compiles for 10-30 s
def test_umap_is_seeded_and_points_keep_their_identity():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 16, generator=g)
    b = torch.randn(30, 16, generator=g) + 3
    sets = [("run", a, np.repeat([0, 1], 15), np.arange(30)), ("real", b, np.repeat([0, 1], 15), np.arange(30) + 100)]
    e1, e2 = embed_sets(sets, seed=3), embed_sets(sets, seed=3)
    assert e1["coords"] == e2["coords"]
    assert e1["points"][31] == {"source": "real", "class": 0, "index": 101}
    coords = np.array(e1["coords"])
    assert np.linalg.norm(coords[:30].mean(0) - coords[30:].mean(0)) > 1  # the two sets stay apart
