"""Students come from a model factory: fresh per seed, any registered architecture or the DD ConvNet."""

import pytest
import torch

from prism_core.data import FashionMNIST
from prism_core.evaluation.architectures import create_student
from prism_core.teachers import TeacherError


@pytest.mark.parametrize("name", ["convnet", "vit", "resnet18"])
def test_a_student_is_seeded_trainable_and_takes_the_datasets_images(name):
    info = FashionMNIST.info
    a, b, c = (create_student(name, info, seed) for seed in (0, 0, 1))
    x = torch.randn(4, info.channels, info.image_size, info.image_size)
    assert a(x).shape == (4, info.num_classes)
    assert all(p.requires_grad for p in a.parameters())
    first = [n for n, p in a.named_parameters() if p.ndim > 1][0]
    same, other = dict(b.named_parameters())[first], dict(c.named_parameters())[first]
    assert torch.equal(dict(a.named_parameters())[first], same) and not torch.equal(same, other)


def test_an_unknown_student_names_the_choices():
    with pytest.raises(TeacherError, match="convnet, vit"):
        create_student("convnett", FashionMNIST.info, 0)
