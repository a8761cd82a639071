from prism_core.data import get_dataset
from prism_core.teachers import TeacherCache


def test_cache_returns_the_loaded_teacher_and_evicts_the_least_recently_used():
    info = get_dataset("fashion_mnist").info
    cache = TeacherCache(max_models=2)
    a = cache.get("lcnet_050", info, weights="random")
    assert cache.get("lcnet_050", info, weights="random") is a  # loads nothing the second time
    b = cache.get("shufflenet_v2_x0_5", info, weights="random")
    cache.get("lcnet_050", info, weights="random")  # a is now the most recent
    cache.get("mobilenetv2_050", info, weights="random")  # evicts b, not a
    assert len(cache) == 2
    assert cache.get("lcnet_050", info, weights="random") is a
    assert cache.get("shufflenet_v2_x0_5", info, weights="random") is not b


def test_a_changed_checkpoint_file_loads_afresh(tmp_path):
    import os

    from safetensors.torch import save_file

    info = get_dataset("fashion_mnist").info
    cache = TeacherCache()
    net = cache.get("lcnet_050", info, weights="random").model.net
    path = tmp_path / "w.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    first = cache.get("lcnet_050", info, weights=str(path))
    assert cache.get("lcnet_050", info, weights=str(path)) is first
    os.utime(path, ns=(1, 1))
    assert cache.get("lcnet_050", info, weights=str(path)) is not first
