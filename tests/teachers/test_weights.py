import os
import time
from dataclasses import replace

import pytest
import torch
from safetensors.torch import save_file

from prism_core.teachers import TeacherError, create_teacher, load_state_dict, read_manifest
from prism_core.teachers.manifest import Manifest, write_manifest
from prism_core.teachers.registry import build_network, get_spec
from prism_core.teachers.weights import pretrained_weights
from tests.teachers.test_registry import GRAY


class Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


@pytest.mark.faults
def test_checkpoint_with_pickle_payload_is_refused_without_running_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    torch.save({"weight": torch.zeros(1), "x": Payload()}, path)
    with pytest.raises(TeacherError, match="refused"):
        load_state_dict(path)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.faults
def test_corrupt_checkpoints_are_clear_errors(tmp_path):
    (tmp_path / "a.safetensors").write_bytes(b"\x00garbage")
    (tmp_path / "b.pt").write_bytes(b"garbage")
    for name in ("a.safetensors", "b.pt"):
        with pytest.raises(TeacherError, match="corrupt|not a readable"):
            load_state_dict(tmp_path / name)


def test_user_checkpoint_round_trips(tmp_path):
    net = build_network(get_spec("lcnet_050"), 10, 1)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "w.safetensors"))
    torch.save(net.state_dict(), tmp_path / "w.pt")
    x = torch.randn(2, 1, 32, 32)
    ref = net.eval()(x)
    for name in ("w.safetensors", "w.pt"):
        t = create_teacher("lcnet_050", GRAY, weights=str(tmp_path / name))
        assert torch.allclose(t.model.net(x), ref, atol=1e-5)


@pytest.mark.faults
def test_checkpoint_for_another_class_count_is_refused(tmp_path):
    net = build_network(get_spec("lcnet_050"), 100, 1)
    torch.save(net.state_dict(), tmp_path / "w.pt")
    with pytest.raises(TeacherError, match="classify 100 classes, but the dataset gray has 10"):
        create_teacher("lcnet_050", GRAY, weights=str(tmp_path / "w.pt"))


@pytest.mark.faults
@pytest.mark.parametrize("name", ["resnet18", "tv_resnet18"])
def test_pretrained_fails_fast_offline(name, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(TeacherError, match="--weights FILE"):
        pretrained_weights(get_spec(name))
    assert time.perf_counter() - start < 10


@pytest.mark.faults
def test_zoo_file_with_wrong_hash_is_refused(tmp_path):
    net = build_network(get_spec("lcnet_050"), 10, 1)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp_path / "lcnet_050.safetensors"))
    shipped = read_manifest()
    entry = replace(shipped.teachers["lcnet_050"], sha256="0" * 64)  # the file is not the one the manifest names
    write_manifest(tmp_path, Manifest(shipped.dataset, {"lcnet_050": entry}))
    with pytest.raises(TeacherError, match="does not match the manifest"):
        create_teacher("lcnet_050", GRAY, zoo_dir=tmp_path)
