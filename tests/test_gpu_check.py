"""The prepared device check runs end to end in its CPU dry-run mode, and its travelling dataset loads."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prism_core import bench
from prism_core.data.base import class_indices
from prism_core.synthesis import SynthConfig

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gpu_check.py"


def test_bench_variants_name_engine_options_and_typos_fail():
    cfg = bench.variant_config(SynthConfig(ipc=1), "bf16+cl+compile+pack4")
    assert (cfg.precision, cfg.channels_last, cfg.compile, cfg.pack, cfg.ipc) == ("bf16", True, "default", 4, 4)
    assert bench.variant_config(SynthConfig(), "fp32+cudagraphs").compile == "reduce-overhead"
    step = bench.variant_config(SynthConfig(), "bf16+compile+step")
    assert (step.compile, step.graph) == ("default", "step")
    for bad in ("bf16+complie", "fp32+bf16", "pack0", "bf16+step"):
        with pytest.raises(ValueError, match="unknown bench variant"):
            bench.variant_config(SynthConfig(), bad)


@pytest.mark.integration  # a real subprocess over the whole dataset
def test_packed_fashion_mnist_keeps_the_test_split_and_n_images_per_class(tmp_path, fmnist):
    from prism_core.data import FashionMNIST

    subprocess.run([sys.executable, str(SCRIPT), "--pack-data", str(tmp_path)], check=True, capture_output=True)
    small = FashionMNIST(tmp_path)
    assert len(small.split("test")) == len(fmnist.split("test"))
    assert (small.split("test").images == fmnist.split("test").images).all()
    train = small.split("train")
    assert len(train) == 10_000 and all((train.labels == c).sum() == 1000 for c in range(10))
    full = fmnist.split("train")  # grid cells measured there start real-init rows from the very same images
    for c in range(10):
        assert (train.load(class_indices(train, c)[:50]) == full.load(class_indices(full, c)[:50])).all()


ANCHOR = ROOT.parent / "shared" / "bench" / "lean_anchor.py"  # the workplace's lean loop, beside the checkout


@pytest.mark.integration
def test_dry_run_reports_every_step_it_ran(tmp_path, fmnist):
    assert ANCHOR.is_file(), f"{ANCHOR} is missing: the check runs the lean anchor beside the engine"
    steps = "CLI synth,CLI evaluate,job queue,CPU and,lean anchor,own process,results grid"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--out", str(tmp_path), "--only", steps, "--anchor", str(ANCHOR)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    ran = {s["step"]: s["status"] for s in report["steps"]}
    assert len(ran) == 8 and set(ran.values()) == {"ok"}, ran
    assert report["facts"]["torch"] and report["facts"]["mode"].startswith("dry run")
    assert report["facts"]["anchor"]["lean_bf16_S1"] > 0  # its loop ran here, tiny
    table = (tmp_path / "gpu_check.md").read_text()
    assert (
        "| CLI synth, each recipe, Fashion-MNIST zoo | ok |" in table and "| job queue (the app's path) | ok |" in table
    )
    (own,) = report["bench"]  # measured in a child process (where CUDA graphs may crash), joined to the table
    assert own["case"] == "sre2l-imagenet" and own["engine"]["fp32"]["img_it_s"] > 0 < own["reference"]["img_it_s"]
    assert "| sre2l-imagenet | engine | fp32 |" in table and "| sre2l-imagenet | reference | fp32 |" in table
    grown = json.loads((tmp_path / "grid" / "cells.json").read_text())  # the committed cells, gone on from
    committed = json.loads((ROOT / "docs/measurements/grid/cells.json").read_text())
    assert set(committed) < set(grown) and all(grown[k]["top1"] == c["top1"] for k, c in committed.items())
