"""A user's own folder and zoo, broken the ways real ones are: each refused with one clear line before anything runs
(issue 41's hostile cases)."""

import pytest
import torch
from PIL import Image

from prism_core.cli import main
from prism_core.data import get_dataset
from prism_core.teachers import TeacherError, create_teacher
from tests.conftest import poisoned_zoo

pytestmark = pytest.mark.faults


def _one_line_error(capsys) -> str:
    """The error line (a command may have said what it chose before it); no traceback."""
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error: " in err, err
    return err[err.index("error: ") :]


def test_a_teacher_with_an_inf_statistic_is_refused_naming_the_tensor(shapes_workspace, tmp_path, capsys, monkeypatch):
    root, _, dataset = shapes_workspace
    tensor = poisoned_zoo(root / "zoo", tmp_path / "zoo")
    with pytest.raises(TeacherError, match=f"{tensor}.*inf or NaN.*retrain it: python -m prism_core teachers train"):
        create_teacher("lcnet_050", get_dataset(dataset).info, weights=f"zoo:{tmp_path / 'zoo'}")
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[broken]\ndataset = "{dataset}"\nzoo = "{tmp_path / "zoo"}"\n')
    out = tmp_path / "bench"
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    assert main(["benchmark", "--workspace", "broken", "--preset", "classroom", "--out", str(out)]) == 2
    err = _one_line_error(capsys)
    assert "nothing was submitted" in err and "for PRISM · noise: lcnet_050" in err and tensor in err
    assert not out.exists()  # nothing ran, nothing was written


def test_a_loss_non_finite_before_any_update_blames_the_teachers_not_the_learning_rate(
    shapes_workspace, tmp_path, capsys, monkeypatch
):
    """A finite but absurd statistic (1e30) passes the load check and overflows the BN loss at step 0."""
    root, _, dataset = shapes_workspace
    poisoned_zoo(root / "zoo", tmp_path / "zoo", teacher="resnet18", tensor_suffix="running_mean", value=1e30)
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[huge]\ndataset = "{dataset}"\nzoo = "{tmp_path / "zoo"}"\n')
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    args = ["synth", "--workspace", "huge", "--method", "sre2l", "--ipc", "1", "--iterations", "2"]
    assert main([*args, "--out", str(tmp_path / "run")]) == 2
    err = _one_line_error(capsys)
    assert "non-finite at step 0" in err and "the learning rate is not the cause" in err and "workspaces check" in err


def test_a_selector_the_zoo_lacks_is_named_before_any_task(shapes_workspace, tmp_path, capsys, monkeypatch):
    root, _, dataset = shapes_workspace
    toml = tmp_path / "ws.toml"
    toml.write_text(f'[nosel]\ndataset = "{dataset}"\nzoo = "{root / "zoo"}"\nselector = "regnetx_002"\n')
    out = tmp_path / "bench"
    args = ["benchmark", "--workspace", "nosel", "--rows", "herding,random real", "--ipcs", "1", "--seeds", "1"]
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    assert main(args + ["--out", str(out)]) == 2
    err = _one_line_error(capsys)
    assert "for herding: teacher 'regnetx_002'" in err and "not in the zoo" in err and not out.exists()


def test_device_cuda_without_a_gpu_is_one_line_and_nothing_runs(shapes_workspace, tmp_path, capsys, monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    _, toml, _ = shapes_workspace
    out = tmp_path / "bench"
    monkeypatch.setenv("PRISM_WORKSPACES", str(toml))
    args = ["benchmark", "--workspace", "shapes", "--rows", "random real"]
    assert main(args + ["--ipcs", "1", "--seeds", "1", "--device", "cuda", "--out", str(out)]) == 2
    assert "--device cuda: this machine has no CUDA GPU" in _one_line_error(capsys) and not out.exists()


def _folder(root, classes, size):
    for split in ("train", "val"):
        for c in classes:
            (root / split / c).mkdir(parents=True)
            for i in range(4):
                Image.new("RGB", (size, size), (60 * i, 40, 200)).save(root / split / c / f"{i}.png")
    return root


@pytest.mark.parametrize(
    "classes, size, message",
    [
        (("only",), 32, "one class folder \\(only\\); a classifier needs at least two classes"),
        (("a", "b"), 8, "its images are 8 px; the teachers need at least 16 px.*folder:.*:32"),
    ],
)
def test_a_folder_teachers_cannot_learn_from_is_refused_before_training(tmp_path, capsys, classes, size, message):
    folder = _folder(tmp_path / "data", classes, size)
    out = tmp_path / "zoo"
    assert main(["teachers", "train", "--dataset", f"folder:{folder}", "--only", "lcnet_050", "--out", str(out)]) == 2
    err = _one_line_error(capsys)
    assert __import__("re").search(message, err), err
    assert not out.exists()
