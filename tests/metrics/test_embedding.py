"""Embeddings: UMAP seeded, points that keep their identity, projections stored once and shipped with the
examples."""

from pathlib import Path

import numpy as np
import pytest
import torch

from prism_core.metrics import embed_sets
from prism_core.metrics.embedding import Point


@pytest.mark.integration  # umap's first call JIT-compiles for 10-30 s
def test_umap_is_seeded_and_points_keep_their_identity():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 16, generator=g)
    b = torch.randn(30, 16, generator=g) + 3
    sets = [("run", a, np.repeat([0, 1], 15), np.arange(30)), ("real", b, np.repeat([0, 1], 15), np.arange(30) + 100)]
    e1, e2 = embed_sets(sets, seed=3), embed_sets(sets, seed=3)
    assert np.array_equal(e1.coords, e2.coords)
    assert e1.points[31] == Point("real", 0, 101)
    coords = e1.coords
    assert np.linalg.norm(coords[:30].mean(0) - coords[30:].mean(0)) > 1  # the two sets stay apart


def _no_features(*args):
    raise AssertionError("the projection should have been read, not computed")


def test_the_shipped_example_projection_matches_the_examples_and_is_read_not_computed():
    """The Embeddings page's first picture on a new machine: the examples' projection ships with them (made by
    scripts/make_examples.py), so a first launch does not wait for UMAP's JIT. A stale file would be missed."""
    from prism_core.metrics import default_extractor, embed_runs
    from prism_core.metrics.embedding import DEFAULT_REAL_PER_CLASS
    from prism_core.synthesis.runstore import fair_pair, list_runs

    examples = Path(__file__).resolve().parents[2] / "assets" / "examples"
    runs = fair_pair(list_runs(examples))  # what the page shows first
    emb = embed_runs(
        runs, default_extractor(runs[0]), DEFAULT_REAL_PER_CLASS, [examples / ".embeddings"], features=_no_features
    )
    sources = {p.source for p in emb.points}
    assert sources == {runs[0].name, runs[1].name, "real"} and len(emb.coords) == len(emb.points)


@pytest.mark.integration
def test_a_projection_is_stored_once_and_keyed_by_what_it_depends_on(tmp_path, fmnist):
    from prism_core.metrics import embed_runs
    from prism_core.synthesis import SynthConfig, synthesize
    from prism_core.synthesis.runstore import Run

    run = Run(tmp_path / "r")
    list(synthesize(SynthConfig(method="prism", ipc=2, classes=(0, 1), iterations=2), run.path))
    first = embed_runs([run], "convnext_atto", 5, [tmp_path / "cache"])
    assert len(list((tmp_path / "cache").iterdir())) == 1
    again = embed_runs([run], "convnext_atto", 5, [tmp_path / "cache"], features=_no_features)
    assert again.to_json() == first.to_json()
    embed_runs([run], "convnext_atto", 6, [tmp_path / "cache"])  # another real sample: another projection
    assert len(list((tmp_path / "cache").iterdir())) == 2
