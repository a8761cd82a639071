"""The ImageNet research presets: the papers' settings, runnable end to end at a small size with random
weights, failing at once (and saying how to fix it) when pretrained weights are not available offline."""

import time

import pytest
from safetensors.torch import save_file

from prism_core import data
from prism_core.data import ImageFolderDataset
from prism_core.events import BatchDone, Evaluated
from prism_core.synthesis import SynthConfig, prepare, synthesize
from prism_core.synthesis.presets import PRESETS
from prism_core.teachers import TeacherError, create_teacher
from tests.conftest import image_tree


def test_presets_hold_the_published_settings():
    s, p, g = PRESETS["sre2l-imagenet"], PRESETS["prism-imagenet"], PRESETS["gvbsm-imagenet"]
    assert (s.lr, s.init, s.iterations, s.batch_size, s.primary) == (0.25, "noise", 4000, 100, "tv_resnet18")
    assert (p.lr, p.init, p.vary_iterations, p.subset_rule) == (0.05, "first", True, "official")
    assert set(p.bn_pool) == {"tv_mobilenet_v2", "tv_efficientnet_b0", "tv_shufflenet_v2_x0_5"}
    assert (g.lr, g.batch_formation, g.batch_size, len(g.bn_pool)) == (0.1, "class-grouped", 80, 4)
    assert all(SynthConfig.from_json(c.to_json()) == c for c in PRESETS.values())


def test_pretrained_teachers_fail_fast_offline_with_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty cache
    start = time.perf_counter()
    with pytest.raises(TeacherError, match="--checkpoint tv_resnet18=FILE"):
        prepare(PRESETS["prism-imagenet"].replace(dataset="imagenet_shape", init="noise"))
    assert time.perf_counter() - start < 5


def imagenet_tree(root):
    return image_tree(root, classes=("n01440764", "n01443537"), per_class=2, size=(80, 60), suffix="JPEG")


@pytest.mark.parametrize("name", ["sre2l-imagenet", "prism-imagenet", "gvbsm-imagenet"])
def test_each_preset_runs_small_with_random_weights_and_checkpoints(name, tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_CACHE_DIR", str(tmp_path / "cache"))
    root = imagenet_tree(tmp_path / "imagenet")
    ds = ImageFolderDataset(root, image_size=64)
    assert ds.info.class_names == ("tench", "goldfish")  # ImageNet wnids read as timm's names
    monkeypatch.setitem(data._CACHE, f"folder:{root}@None", ds)
    ckpt = tmp_path / "r18.safetensors"
    net = create_teacher("tv_resnet18", ds.info, weights="random").model.net
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(ckpt))
    cfg = PRESETS[name].replace(
        dataset=f"folder:{root}",
        weights="random",
        checkpoints={"tv_resnet18": str(ckpt)},
        ipc=2,
        iterations=2,
        batch_size=4,
        stats_images=4,
    )
    batches = [e for e in synthesize(cfg, tmp_path / "run") if isinstance(e, BatchDone)]
    assert sum(len(b.record.classes) for b in batches) == 4
    assert (tmp_path / "run" / "images" / "000_tench").is_dir()


def test_an_imagenet_style_run_evaluates_on_the_val_folder(tmp_path, monkeypatch):
    from prism_core.evaluation import EvalConfig, evaluate_run
    from prism_core.synthesis.runstore import Run

    root = imagenet_tree(tmp_path / "imagenet")
    ds = ImageFolderDataset(root, image_size=64)
    monkeypatch.setitem(data._CACHE, f"folder:{root}@None", ds)
    ckpt = tmp_path / "r18.safetensors"
    net = create_teacher("tv_resnet18", ds.info, weights="random").model.net
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(ckpt))
    cfg = PRESETS["sre2l-imagenet"].replace(dataset=f"folder:{root}", weights=str(ckpt), ipc=2, iterations=1)
    for _ in synthesize(cfg, tmp_path / "run"):
        pass
    ecfg = EvalConfig(
        student="tv_shufflenet_v2_x0_5", teachers=("tv_resnet18",), weights=str(ckpt), epochs=1, batch_size=4
    )
    done = [e for e in evaluate_run(Run(tmp_path / "run"), ecfg, seeds=1) if isinstance(e, Evaluated)]
    assert len(done) == 1 and 0 <= done[0].mean <= 100
    assert len(ds.split("test")) == 4  # the val/ folder is the test split
