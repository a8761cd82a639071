"""Parse IDX files (the MNIST family's format) with errors a user can act on."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np


class DataError(RuntimeError):
    """A dataset is missing or malformed; the message says what to do."""


_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DataError(f"{path}: not a valid gzip file ({err}); re-download or reinstall the dataset") from None
    if len(raw) < 4:
        raise DataError(f"{path}: file too short to be an IDX file ({len(raw)} bytes)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _DTYPES or ndim == 0:
        raise DataError(f"{path}: bad IDX magic number {raw[:4].hex()} (expected 0000 08 0n); the file is not IDX data")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    dtype = np.dtype(_DTYPES[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(
            f"{path}: truncated or padded IDX file: header promises shape {shape} "
            f"({expected} bytes) but {len(raw) - header} bytes follow; re-download the dataset"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
