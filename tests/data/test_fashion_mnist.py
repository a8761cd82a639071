import numpy as np
import pytest
import torch

from prism_core.data import DataError, FashionMNIST, fashion_mnist, real_image_indices


def test_loads_tiny_idx_folder_padded_to_32(tiny_idx_dir):
    ds = FashionMNIST(tiny_idx_dir)
    train = ds.split("train")
    assert len(train) == 30 and ds.info.image_size == 32 and ds.info.num_classes == 10
    x = train.load([0, 1])
    assert x.shape == (2, 1, 32, 32) and x.dtype == torch.float32
    assert torch.all(x[:, :, :2, :] == 0)  # the 28 -> 32 zero padding
    label = train.labels[0]
    assert x[0, 0, 16, 16].item() == pytest.approx(label * 20 / 255)


def test_kth_image_of_class_follows_file_order(tiny_idx_dir):
    train = FashionMNIST(tiny_idx_dir).split("train")
    idx = real_image_indices(train, [(4, 0), (4, 2)])
    assert list(train.labels[idx]) == [4, 4]
    assert idx[0] == int(np.flatnonzero(train.labels == 4)[0]) and idx[1] == int(np.flatnonzero(train.labels == 4)[2])
    with pytest.raises(IndexError, match="only 3 images"):
        real_image_indices(train, [(4, 3)])


def test_prism_data_dir_takes_precedence(tiny_idx_dir, monkeypatch):
    monkeypatch.setenv("PRISM_DATA_DIR", str(tiny_idx_dir))
    assert fashion_mnist.locate() == tiny_idx_dir


def test_missing_dataset_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "nope")
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist.locate()
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_image_label_count_mismatch_is_reported(tiny_idx_dir):
    from tests.conftest import write_idx

    write_idx(tiny_idx_dir / "t10k-labels-idx1-ubyte.gz", np.zeros(5, dtype=np.uint8))
    with pytest.raises(DataError, match="20 images but 5 labels"):
        FashionMNIST(tiny_idx_dir).split("test")


def test_real_dataset_when_installed():
    try:
        ds = FashionMNIST()
    except DataError:
        pytest.skip("Fashion-MNIST is not installed")
    train, test = ds.split("train"), ds.split("test")
    assert (len(train), len(test)) == (60000, 10000)
    assert np.bincount(train.labels).tolist() == [6000] * 10
