from pathlib import Path

import numpy as np
import pytest
import torch

from prism_core.metrics import cosine_matrix, embed_sets, intra_class_cosine, mean_offdiag, prdc, summarize
from prism_core.metrics.embedding import Point


def test_cosine_metric_on_known_vectors():
    f = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # pairs: (0,1)=0, (0,2)=(1,2)=1/sqrt(2); mean of the 6 off-diagonal entries
    assert mean_offdiag(cosine_matrix(f)) == pytest.approx((0 + 2 * 2**-0.5) / 3)
    per = intra_class_cosine(torch.cat([f, f[:1].repeat(3, 1)]), np.array([0, 0, 0, 1, 1, 1]))
    assert per[1] == pytest.approx(1.0)  # identical images give 1.0
    s = summarize(per)
    assert s.mean == pytest.approx((per[0] + 1) / 2)


def test_prdc_separates_real_like_from_far_away():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(200, 8, generator=g)
    near = prdc(real, torch.randn(100, 8, generator=g))
    far = prdc(real, torch.randn(100, 8, generator=g) + 20)
    assert near.precision > 0.8 and near.coverage > 0.5
    assert far.precision == 0 and far.coverage == 0 and far.recall == 0


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


@pytest.mark.integration
def test_run_metrics_put_vendi_beside_cosine_with_the_random_real_reference(tmp_path, fmnist, capsys):
    import json

    from prism_core.cli import main
    from prism_core.synthesis import SynthConfig, synthesize

    run_dir = tmp_path / "r"
    list(synthesize(SynthConfig(method="prism", ipc=3, classes=(0, 1, 7), iterations=2), run_dir))
    assert main(["metrics", str(run_dir), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)["r"]
    assert 1.0 <= m["vendi"] <= 3.0 and 0.0 <= m["near_duplicate_rate"] <= 1.0
    real = m["random_real"]
    assert real["ipc"] == 3 and 1.0 <= real["vendi"] <= 3.0 and "mean" in real["intra_class_cosine_summary"]
    stored = json.loads((run_dir / "metrics.json").read_text())
    assert stored["vendi"] == m["vendi"] and set(stored["vendi_per_class"]) == {"0", "1", "7"}


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
