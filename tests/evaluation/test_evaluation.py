import pytest
import torch

from prism_core.evaluation import EvalConfig, SoftLabeler, check_complete, student_view, train_student
from prism_core.evaluation.relabel import MixConfig
from prism_core.records import BatchRecord
from prism_core.selection import random_real_subset
from prism_core.synthesis import SynthConfig
from prism_core.synthesis.runstore import Run, RunError, RunRecord
from prism_core.teachers import create_teacher


def test_online_relabel_equals_a_direct_teacher_forward_on_the_same_crop(fmnist):
    info = fmnist.info
    teachers = [create_teacher(n, info).model for n in ("resnet18", "convnext_atto")]
    x01 = fmnist.split("train").load(range(8))
    view, record = student_view(x01, MixConfig(), torch.Generator().manual_seed(0))
    assert len(record["crops"]) == 8 and "lam" in record["cutmix"]
    x = info.normalize(view)
    with torch.no_grad():
        direct = teachers[0].eval()(x)
        assert torch.allclose(SoftLabeler(teachers[:1])(x), direct)
        z = [t(x) for t in teachers]
        mean_norm = (z[0].norm() + z[1].norm()) / 2
        expected = (z[0] / z[0].norm() * mean_norm + z[1] / z[1].norm() * mean_norm) / 2
    assert torch.allclose(SoftLabeler(teachers)(x), expected, atol=1e-5)


@pytest.mark.integration
def test_student_on_a_tiny_real_subset_beats_chance_widely(fmnist):
    x, y = random_real_subset("fashion_mnist", list(range(10)), 10, seed=0)
    cfg = EvalConfig(student="resnet18", teachers=("resnet18",), epochs=40, batch_size=50)
    result = [e for e in train_student(x, y, fmnist, cfg, progress=False)][-1]
    assert result.top1 > 50  # chance is 10 %


@pytest.mark.integration
def test_hard_labels_train_without_any_teacher(fmnist, monkeypatch):
    """loss="ce": the true labels only; no relabel teacher is even built (the images alone must teach)."""
    import prism_core.evaluation.train_loop as student

    monkeypatch.setattr(student, "create_teacher", lambda *a, **k: pytest.fail("a hard-label student built a teacher"))
    x, y = random_real_subset("fashion_mnist", list(range(10)), 10, seed=0)
    cfg = EvalConfig(student="convnet", loss="ce", epochs=40, batch_size=50)
    assert [e for e in train_student(x, y, fmnist, cfg, progress=False)][-1].top1 > 40  # chance is 10 %


def test_evaluate_refuses_a_run_with_missing_images_and_changes_nothing(tmp_path):
    run = Run(tmp_path / "r")
    run.create(RunRecord(SynthConfig(), ("a", "b")))
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(BatchRecord(0, (0, 1), (0, 0), (0,), 1), x, x)
    run.image_path(1, 0).unlink()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(RunError, match="missing"):
        check_complete(run)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_the_shipped_evaluations_read_as_records_under_their_protocols_key():
    """The Tour's student figures come from the examples' evaluation.json: each entry reads back as the config it
    was measured under (its key is that config's), and writes back as the same JSON."""
    import json

    from prism_core.evaluation.run_eval import StoredEvaluation, _eval_key, stored_evaluations
    from tests.conftest import ROOT

    for path in sorted((ROOT / "assets" / "examples").glob("*/evaluation.json")):
        raw = json.loads(path.read_text())
        for key, entry in raw.items():
            record = StoredEvaluation.from_json(entry)
            assert key == f"{record.subject}:{_eval_key(record.config)}"
            assert json.loads(json.dumps(record.to_json())) == entry
        assert {e.subject for e in stored_evaluations(Run(path.parent))} == {"run", "random-real"}
