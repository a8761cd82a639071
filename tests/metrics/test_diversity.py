"""Diversity: intra-class cosine and Vendi on vectors whose answer is known, and near-duplicates within a class."""

import numpy as np
import pytest
import torch

from prism_core.metrics import cosine_matrix, intra_class_cosine, mean_offdiag, summarize


def test_cosine_metric_on_known_vectors():
    f = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # pairs: (0,1)=0, (0,2)=(1,2)=1/sqrt(2); mean of the 6 off-diagonal entries
    assert mean_offdiag(cosine_matrix(f)) == pytest.approx((0 + 2 * 2**-0.5) / 3)
    per = intra_class_cosine(torch.cat([f, f[:1].repeat(3, 1)]), np.array([0, 0, 0, 1, 1, 1]))
    assert per[1] == pytest.approx(1.0)  # identical images give 1.0
    s = summarize(per)
    assert s.mean == pytest.approx((per[0] + 1) / 2)


def test_vendi_counts_distinct_images_and_near_duplicates_are_found():
    from prism_core.metrics import near_duplicate_rate, vendi

    assert vendi(torch.ones(5, 3)) == pytest.approx(1.0)  # five copies of one image: one effective image
    assert vendi(torch.eye(4)) == pytest.approx(4.0)  # four orthogonal ones: four
    two_modes = torch.cat([torch.tensor([[1.0, 0.0]]).repeat(3, 1), torch.tensor([[0.0, 1.0]]).repeat(3, 1)])
    assert vendi(two_modes) == pytest.approx(2.0)
    f = torch.tensor([[1.0, 0.0], [0.999, 0.02], [0.0, 1.0], [1.0, 1.0]])
    # images 0 and 1 are near-duplicates within class 0; image 3 has no near twin in class 1
    assert near_duplicate_rate(f, np.array([0, 0, 0, 1])) == pytest.approx(2 / 4)
    assert near_duplicate_rate(f, np.array([0, 1, 0, 1])) == 0.0  # the pair split across classes
