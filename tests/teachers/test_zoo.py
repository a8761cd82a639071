"""The shipped zoo: real trained teachers, loadable by prism_core and by timm/torchvision alone."""

import json

import pytest
import torch
from safetensors.torch import load_file

from prism_core.teachers import ZOO_DIR, create_teacher, read_manifest, sha256_file
from prism_core.teachers.manifest import SUBSET
from prism_core.training import top1

MANIFEST = read_manifest(ZOO_DIR)
NAMES = sorted(MANIFEST.teachers)


def test_zoo_mirrors_the_paper_pool():
    entries = MANIFEST.teachers.values()
    bn = [e for e in entries if e.bn_layers > 0]
    assert len(bn) >= 6 and len({e.family for e in bn}) >= 5
    assert any(e.bn_layers == 0 for e in entries)  # a logit-only teacher
    assert MANIFEST.teachers["resnet18"].test_top1 >= 92
    assert all(e.test_top1 >= 89 for e in entries)
    assert sum((ZOO_DIR / e.file).stat().st_size for e in entries) <= 50e6


@pytest.mark.integration  # trained teachers over the test split
@pytest.mark.parametrize("name", NAMES)
def test_shipped_teacher_scores_its_manifest_accuracy(name, fmnist):
    entry = MANIFEST.teachers[name]
    assert sha256_file(ZOO_DIR / entry.file) == entry.sha256
    teacher = create_teacher(name, fmnist.info)
    acc = top1(teacher.model, fmnist.split("test"), fmnist.info, indices=range(SUBSET))
    assert abs(acc - entry.test_top1_subset) <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_loadable_with_timm_or_torchvision_alone(name, fmnist):
    """The manifest is enough: no prism_core code between the file and the logits."""
    e = json.loads((ZOO_DIR / "manifest.json").read_text())["teachers"][name]
    if e["source"] == "timm":
        import timm

        net = timm.create_model(e["constructor"], **e["kwargs"])
    else:
        import torchvision

        net = torchvision.models.get_model(e["constructor"], **e["kwargs"])
    net.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(ZOO_DIR / e["file"])).items()}
    )
    x = fmnist.split("test").load(range(500))
    x = (x - e["input"]["mean"][0]) / e["input"]["std"][0]
    x = x.expand(-1, e["input"]["repeat_to_channels"], -1, -1)
    with torch.no_grad():
        pred = net.eval()(x).argmax(1).numpy()
    acc = 100 * (pred == fmnist.split("test").labels[:500]).mean()
    assert acc >= e["test_top1"] - 5


def test_training_a_teacher_reports_typed_epochs_then_its_saved_entry(tiny_idx_dir, tmp_path):
    from prism_core.data import FashionMNIST
    from prism_core.events import TeacherSaved, TrainEpoch
    from prism_core.teachers.zoo import train_zoo_teacher
    from prism_core.training import TrainConfig

    events = list(
        train_zoo_teacher("lcnet_050", FashionMNIST(tiny_idx_dir), tmp_path, TrainConfig(epochs=2, min_updates=0))
    )
    assert [type(e) for e in events] == [TrainEpoch, TrainEpoch, TeacherSaved]
    assert [e.epoch for e in events[:2]] == [1, 2] and {e.teacher for e in events} == {"lcnet_050"}
    entry = read_manifest(tmp_path).teachers["lcnet_050"]
    assert [h.epoch for h in entry.train_history] == [1, 2] and entry.test_top1 == round(events[-1].test_top1, 2)


def test_bn_statistics_stay_fp32_and_a_non_finite_tensor_is_never_saved():
    import pytest

    from prism_core.teachers import TeacherError, build_network, get_spec
    from prism_core.teachers.zoo import _round_to_fp16

    net = build_network(get_spec("resnet18"), 10, 1)
    net.bn1.running_var.fill_(1e6)  # beyond fp16's 65,504: it would have been saved as inf
    state = _round_to_fp16(net, "resnet18")
    assert state["bn1.running_var"].dtype == torch.float32 and torch.isfinite(state["bn1.running_var"]).all()
    assert state["conv1.weight"].dtype == torch.float16  # the weights still ship at half the size
    net.fc.weight.data[0, 0] = float("nan")
    with pytest.raises(TeacherError, match="resnet18: not saved: fc.weight hold"):
        _round_to_fp16(net, "resnet18")


def test_a_users_folder_trains_with_a_shift_the_embedded_zoo_keeps_its_recipe(fmnist):
    from dataclasses import replace

    from prism_core.teachers.zoo import ZOO_TRAINING, training_for

    assert training_for("lcnet_050", fmnist.info) == ZOO_TRAINING["lcnet_050"]  # shift 0, as the shipped zoo
    folder = replace(fmnist.info, name="folder:letters", image_size=32)
    assert training_for("lcnet_050", folder).shift == 4
