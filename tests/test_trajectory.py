"""A run keeps its images' trajectory (uint8 frames at evenly spaced steps) and exports it as an animated GIF."""

import numpy as np
import pytest
from PIL import Image

from prism_core.cli import main as cli
from prism_core.data import get_dataset, real_image_indices
from prism_core.images import to_uint8
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.run_export import read_images, trajectory
from prism_core.synthesis.runstore import Run

CFG = SynthConfig(
    method="prism",
    init="real",
    ipc=2,
    classes=(0, 3),
    iterations=8,
    snapshots=4,
    weights="random",
    bn_pool=("mobilenetv2_050",),
)


def test_frames_run_from_the_init_to_the_written_images(tmp_path):
    run = Run(tmp_path / "r")
    list(synthesize(CFG, run.path))
    steps, frames, classes, ks = trajectory(run)
    assert list(steps) == [0, 2, 4, 6, 8] and frames.dtype == np.uint8 and frames.shape[:2] == (5, 4)
    assert list(classes) == [0, 0, 3, 3] and list(ks) == [0, 1, 0, 1]
    train = get_dataset("fashion_mnist").split("train")
    real = to_uint8(train.load(real_image_indices(train, list(zip(classes, ks))))).numpy()
    assert np.abs(frames[0].astype(int) - real).max() <= 1  # the first frame is the init: the real images
    assert np.array_equal(frames[-1], read_images(run, classes, ks))  # the last is what the PNGs hold
    assert not np.array_equal(frames[1], frames[-1])
    one = trajectory(run, cls=3)
    assert list(one[2]) == [3, 3] and np.array_equal(one[1], frames[:, 2:])


def test_export_writes_an_animated_gif_and_a_zip(tmp_path, capsys):
    run = Run(tmp_path / "r")
    list(synthesize(CFG, run.path))
    assert cli(["export", str(run.path), "--gif", str(tmp_path / "t.gif"), "--zip", str(tmp_path / "t.zip")]) == 0
    with Image.open(tmp_path / "t.gif") as gif:
        assert gif.n_frames == 5 and gif.is_animated
    assert (tmp_path / "t.zip").stat().st_size > 0


@pytest.mark.faults
def test_a_run_without_trajectory_says_so_and_writes_nothing(tmp_path, capsys):
    run = Run(tmp_path / "r")
    list(synthesize(CFG.replace(snapshots=0), run.path))
    assert trajectory(run) is None and not (run.path / "trajectory").exists()
    assert cli(["export", str(run.path), "--gif", str(tmp_path / "t.gif")]) == 2
    assert "kept no trajectory" in capsys.readouterr().err and not list(tmp_path.glob("*.gif*"))
    assert cli(["export", str(tmp_path / "nope"), "--gif", str(tmp_path / "t.gif")]) == 2
    assert cli(["export", str(run.path)]) == 2
