import pytest
from PIL import Image

from prism_core.data import DataError, ImageFolderDataset


def _make_tree(root, classes=("cat", "dog"), per_class=3, size=40):
    for split in ("train", "val"):
        for ci, name in enumerate(classes):
            d = root / split / name
            d.mkdir(parents=True)
            for k in range(per_class):
                Image.new("RGB", (size + 8 * k, size), color=(ci * 100, k * 50, 0)).save(d / f"img{k}.png")


def test_imagefolder_splits_classes_and_kth_image(tmp_path):
    _make_tree(tmp_path)
    ds = ImageFolderDataset(tmp_path, image_size=32)
    assert ds.info.class_names == ("cat", "dog") and ds.info.channels == 3
    train = ds.split("train")
    assert len(train) == 6 and list(train.labels) == [0, 0, 0, 1, 1, 1]
    x = train.load([3, 4])
    assert x.shape == (2, 3, 32, 32)
    assert x[0, 0].mean().item() == pytest.approx(100 / 255, abs=1e-2)  # dog, red channel
    assert x[1, 1].mean().item() == pytest.approx(50 / 255, abs=1e-2)  # the 2nd dog image, sorted file order
    assert len(ds.split("test")) == 6


def test_unreadable_image_is_reported(tmp_path):
    _make_tree(tmp_path)
    (tmp_path / "train" / "cat" / "img0.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="unreadable image"):
        ImageFolderDataset(tmp_path, image_size=32).split("train").load([0])


def test_missing_folder_and_empty_tree(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        ImageFolderDataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no class folders"):
        ImageFolderDataset(tmp_path / "empty")


def test_without_a_size_a_folder_keeps_its_images_own_size_and_says_so(tmp_path):
    from prism_core.data import get_dataset
    from prism_core.data.summary import summarize

    _make_tree(tmp_path, size=40)  # widths 40-56, heights 40: the short side is 40
    ds = get_dataset(f"folder:{tmp_path}")
    assert ds.info.image_size == 40 and ds.split("train").load([0]).shape[-2:] == (40, 40)
    assert "40 px (the images' own size" in summarize(f"folder:{tmp_path}", ds).line()
    assert get_dataset(f"folder:{tmp_path}:32").info.image_size == 32  # a size given wins
