"""Selection rules as runs (`--method herding`) and as the init of a synthesis (`--init herding`), on the shipped
zoo."""

import numpy as np
import pytest

from prism_core.data import get_dataset
from prism_core.evaluation import EvalConfig, evaluate_run
from prism_core.events import Evaluated
from prism_core.images import to_uint8
from prism_core.inspector import inspect_image
from prism_core.synthesis import ConfigError, SynthConfig, prepare, synthesize
from prism_core.synthesis.engine import open_run
from prism_core.synthesis.run_export import read_images, trajectory
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run

PICK = dict(ipc=3, classes=(0, 6), candidates=100, seed=1)


def _run(cfg: SynthConfig, path) -> Run:
    for _ in synthesize(cfg, path):
        pass
    return Run(path)


def test_a_selection_run_stores_real_training_images_with_their_indices(tmp_path):
    run = _run(SynthConfig(method="herding", **PICK), tmp_path / "herding")
    assert run_status(run).state == "finished" and run.config().iterations == 0
    train = get_dataset("fashion_mnist").split("train")
    for rec in run.finished().values():
        for c, k, source in zip(rec.classes, rec.ipc_indices, rec.sources):
            assert train.labels[source[0]] == c
            png = read_images(run, [c], [k])[0]
            assert np.array_equal(png, to_uint8(train.load(source)).numpy()[0])
            assert inspect_image(run, c, k).init_train_index == source[0]


@pytest.mark.integration
def test_a_selection_run_is_evaluated_like_any_run(tmp_path):
    run = _run(SynthConfig(method="kcenter", **PICK), tmp_path / "kcenter")
    cfg = EvalConfig(student="convnet", epochs=1, loss="ce")
    top1 = [e.mean for e in evaluate_run(run, cfg, seeds=1) if isinstance(e, Evaluated)]
    assert len(top1) == 1 and 10 < top1[0] <= 100


def test_a_synthesis_starts_from_the_rule_s_picks(tmp_path):
    picks = _run(SynthConfig(method="easy", **PICK), tmp_path / "easy")
    prism = _run(SynthConfig(method="prism", init="easy", iterations=2, snapshots=2, **PICK), tmp_path / "prism")
    steps, frames, classes, ks = trajectory(prism)
    assert steps[0] == 0
    x, c, k = picks.pixels()
    assert (classes.tolist(), ks.tolist()) == (c.tolist(), k.tolist())
    assert np.array_equal(frames[0], to_uint8(get_dataset("fashion_mnist").info.denormalize(x)).numpy())
    sources = lambda r: sorted(s for rec in r.finished().values() for s in map(tuple, rec.sources))  # noqa: E731
    assert sources(prism) == sources(picks)
    assert not np.array_equal(frames[-1], frames[0])  # and then optimises them


def test_real_init_is_the_first_rule_and_old_runs_still_resume(tmp_path):
    assert SynthConfig(init="real") == SynthConfig(init="first")
    cfg = SynthConfig(method="sre2l", init="real", iterations=1, ipc=1, classes=(2,), weights="random")
    run = _run(cfg, tmp_path / "old")
    record = run.record().to_json()
    record["config"]["init"] = "real"  # as runs stored before the selection rules say it
    (run.path / "config.json").write_text(__import__("json").dumps(record))
    assert open_run(run, prepare(cfg)).config.init == "first"  # same config: no --resume needed


def test_a_selection_method_refuses_optimisation_and_names_the_way(tmp_path):
    with pytest.raises(ConfigError, match="--init herding"):
        prepare(SynthConfig(method="herding", iterations=5, **PICK))
    with pytest.raises(ConfigError, match="init must be noise or one of first, random"):
        prepare(SynthConfig(method="prism", init="coreset", **PICK))
    with pytest.raises(ConfigError, match="candidates must be a non-negative"):
        prepare(SynthConfig(method="kcenter", **{**PICK, "candidates": -1}))
    assert not list(tmp_path.iterdir())
