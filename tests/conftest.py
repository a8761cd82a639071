import gzip
import os
import struct
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# caches the library keeps in the user's home (G-VBSM reference statistics) go to a fresh folder per test session:
# the suite writes nothing outside the clone and /tmp, and measures what a first run costs
os.environ["PRISM_CACHE_DIR"] = tempfile.mkdtemp(prefix="prism-test-cache-")
# inductor's on-disk cache is not keyed by ATen's or oneDNN's kernel settings: code compiled under the default kernels
# and reused under ATEN_CPU_CAPABILITY=avx2 crashed (measured), so each setting compiles into its own cache
_KERNELS = f"{os.environ.get('ATEN_CPU_CAPABILITY', 'native')}-{os.environ.get('ONEDNN_MAX_CPU_ISA', 'native')}"
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"torchinductor-prism-{_KERNELS}"))
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
# every page of the app, the landing page (no switch_page needed) first
APP_PAGES = [
    "app_pages/tour.py",
    "app_pages/launch.py",
    "app_pages/runs.py",
    "app_pages/gallery.py",
    "app_pages/priors.py",
    "app_pages/diversity.py",
    "app_pages/embeddings.py",
    "app_pages/teachers.py",
    "app_pages/results.py",
    "app_pages/benchmark.py",
]


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def image_tree(root: Path, classes=("a", "b"), per_class: int = 3, size=(24, 24), suffix: str = "png") -> Path:
    """An ImageFolder tree with train/ and val/ splits: per_class solid images per class folder."""
    from PIL import Image

    for split in ("train", "val"):
        for name in classes:
            (root / split / name).mkdir(parents=True)
            for k in range(per_class):
                Image.new("RGB", size, color=(40 * k, 90, 30)).save(root / split / name / f"{k}.{suffix}")
    return root


def poisoned_zoo(src, dst, teacher="lcnet_050", tensor_suffix="running_var", value=float("inf")):
    """A copy of the zoo `src` whose `teacher` holds a BN statistic of `value` (inf by default), its digest updated
    (as a zoo written by a diverged, fp16-overflowed training was, before saves refused it)."""
    import shutil
    from dataclasses import replace

    import torch
    from safetensors.torch import load_file, save_file

    from prism_core.teachers import read_manifest, sha256_file
    from prism_core.teachers.manifest import write_manifest

    shutil.copytree(src, dst)
    manifest = read_manifest(dst)
    entry = manifest.teachers[teacher]
    state = load_file(str(dst / entry.file))
    name = next(k for k in state if k.endswith(tensor_suffix))
    state[name] = torch.full_like(state[name], value)
    save_file(state, str(dst / entry.file))
    entry = replace(entry, sha256=sha256_file(dst / entry.file))
    write_manifest(dst, manifest.with_entries({teacher: entry}))
    return name


@pytest.fixture
def tiny_idx_dir(tmp_path: Path) -> Path:
    """A Fashion-MNIST-shaped IDX folder: 3 images per class in train, 2 in test, pixel value = label * 20."""
    rng = np.random.default_rng(0)
    for prefix, per_class in (("train", 3), ("t10k", 2)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        images = (labels[:, None, None] * 20 + np.zeros((1, 28, 28))).astype(np.uint8)
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return tmp_path


@pytest.fixture(scope="session")
def fmnist():
    """The real Fashion-MNIST (skips where it is not installed; `make test` installs it)."""
    from prism_core.data import DataError, FashionMNIST

    try:
        return FashionMNIST()
    except DataError as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def shapes_workspace(tmp_path_factory):
    """workspaces.shapes_workspace: a generated 3-class ImageFolder with a zoo trained on it for an epoch, declared
    as the workspace 'shapes' in a TOML file: (root, toml, dataset)."""
    from prism_core.workspaces import shapes_workspace

    root = tmp_path_factory.mktemp("ws")
    toml, dataset = shapes_workspace(root)
    return root, toml, dataset


@pytest.fixture(autouse=True)
def _app_job_queues_end_with_their_test():
    """An AppTest's job queue (app/common.py, cached per run store) holds worker processes: end them with the test
    instead of keeping two idle workers per test until the suite ends."""
    yield
    common = sys.modules.get("common")
    if common is not None and hasattr(common, "_job_queue"):
        common._job_queue.clear()


# one pair of files per pytest process: `make test` runs two xdist workers (gw0, gw1), `pytest` alone one (main)
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_configure(config):
    """When the suite runs without pytest's own faulthandler (`make test`), a crash of the interpreter (a C-level
    abort) writes every thread's stack to test-artifacts/crash-<process>.log, which `make test` prints with the test
    that process was in (test-artifacts/current-test-<process>)."""
    if not config.pluginmanager.has_plugin("faulthandler"):
        import faulthandler

        ARTIFACTS.mkdir(exist_ok=True)
        config._crash_log = open(ARTIFACTS / f"crash-{_PROCESS}.log", "w")
        faulthandler.enable(file=config._crash_log, all_threads=True)


def pytest_runtest_logstart(nodeid, location):
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"current-test-{_PROCESS}").write_text(nodeid)


@pytest.fixture(autouse=True)
def _torch_threads():
    """A test that sets torch's threads (the golden check renders on two) leaves the next one the count it found:
    under `make unit`, a worker left on two threads would contend with the other worker for the cores."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
