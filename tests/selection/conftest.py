"""The real Fashion-MNIST training split and the shipped zoo's regnetx_002 as the selector, for the rules' tests."""

import pytest

from prism_core.data import get_dataset
from prism_core.selection import DEFAULT_SELECTOR, Selector
from prism_core.teachers import create_teacher


@pytest.fixture(scope="module")
def train():
    return get_dataset("fashion_mnist").split("train")


@pytest.fixture(scope="module")
def selector():
    info = get_dataset("fashion_mnist").info
    return Selector(create_teacher(DEFAULT_SELECTOR, info).model, info)
