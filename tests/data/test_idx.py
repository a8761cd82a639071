import gzip

import numpy as np
import pytest

from prism_core.data import DataError, read_idx
from tests.conftest import write_idx


def test_reads_gzipped_and_plain_idx(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a.gz", arr)), arr)
    assert np.array_equal(read_idx(write_idx(tmp_path / "a", arr, gz=False)), arr)


def test_bad_magic_is_a_clear_error(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 20)
    with pytest.raises(DataError, match="bad IDX magic"):
        read_idx(path)


def test_truncated_file_is_a_clear_error(tmp_path):
    arr = np.zeros((10, 28, 28), dtype=np.uint8)
    path = write_idx(tmp_path / "t", arr, gz=False)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_corrupt_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "c.gz"
    path.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(DataError, match="gzip"):
        read_idx(path)
