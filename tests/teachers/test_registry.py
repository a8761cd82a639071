import pytest
import torch

from prism_core.data import DatasetInfo
from prism_core.teachers import TeacherError, create_teacher, get_spec, list_teachers
from prism_core.teachers.registry import bn_layer_count

GRAY = DatasetInfo("gray", tuple(str(i) for i in range(10)), 32, 1, (0.5,), (0.25,))


@pytest.mark.parametrize("name", list_teachers())
def test_every_entry_builds_and_backprops_to_the_input(name):
    """timm-style registry test: random weights, forward and backward to the pixels at the entry's input size."""
    spec = get_spec(name)
    info = DatasetInfo(
        "t",
        GRAY.class_names,
        spec.input_size,
        1 if spec.input_size == 32 else 3,
        GRAY.mean * (1 if spec.input_size == 32 else 3),
        GRAY.std * (1 if spec.input_size == 32 else 3),
    )
    teacher = create_teacher(name, info, weights="random")
    x = torch.randn(2, info.channels, spec.input_size, spec.input_size, requires_grad=True)
    logits = teacher.model(x)
    assert logits.shape == (2, 10)
    logits.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in teacher.model.parameters())  # frozen: gradients reach the input only
    assert bool(teacher.bn_layers) == (bn_layer_count(name) > 0)


def test_unknown_architecture_suggests_near_names():
    with pytest.raises(TeacherError, match="unknown architecture 'resnet19'.*resnet18"):
        get_spec("resnet19")


def test_bn_free_models_are_known_as_such():
    assert bn_layer_count("convnext_atto") == 0 and bn_layer_count("resnet18") == 20


def test_grayscale_is_repeated_for_torchvision_models():
    teacher = create_teacher("shufflenet_v2_x0_5", GRAY, weights="random")
    assert teacher.model.repeat == 3 and teacher.model(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
