"""The benchmark compares like with like: the reference-style loop computes the engine's loss (first step,
same pixels and augmentation), and the CLI prints both rates and their ratio."""

import json
from dataclasses import replace

import pytest
import torch

from prism_core import bench
from prism_core.events import Step
from prism_core.synthesis import SynthConfig, prepare, synthesize


@pytest.mark.parametrize("method", ["sre2l", "prism"])
def test_reference_loop_computes_the_engines_loss(method):
    cfg = SynthConfig(
        method=method,
        ipc=2,
        classes=(0, 1, 2, 3),
        iterations=1,
        log_every=1,
        seed=3,
        bn_pool=("mobilenetv2_050", "lcnet_050") if method == "prism" else None,
    )
    p = prepare(cfg)
    assert p.plan[0].groups == 2  # the engine packs both IPC indices; the reference runs them one by one
    engine = next(e for e in synthesize(p) if isinstance(e, Step)).losses["total"]
    reference = list(bench.reference_loop(p, steps=1))
    assert len(reference) == 2
    assert engine == pytest.approx(sum(reference) / 2, rel=1e-4)


@pytest.mark.integration  # a whole bench: reference loop and engine
def test_bench_cli_prints_rates_ratio_and_flops(capsys):
    from prism_core.cli import main

    args = ["bench", "--case", "sre2l-imagenet", "--steps", "2", "--device", "cpu", "--imagenet-size", "64"]
    assert main(args) == 0  # 64 px: the CPU in CI
    out = capsys.readouterr().out
    assert "| sre2l-imagenet | reference |" in out and "| sre2l-imagenet | engine |" in out
    assert "x**" in out and "TFLOP/s" in out


def test_the_table_reads_each_engine_rate_against_its_cases_lean_anchor():
    figures = bench.Figures(img_it_s=3000.0, tflops=5.0, peak_gib=2.0, seconds=1.0, ratio=3.0)
    result = bench.CaseResult(
        "sre2l-imagenet",
        "SRe2L",
        image_iterations=3000,
        avg_bn_set=1.0,
        reference=replace(figures, img_it_s=1000.0, ratio=1.0),
        engine={
            "bf16+compile+step": replace(figures, graphs=2, breaks=0),
            "bf16+cudagraphs": bench.Failed("RuntimeError: no CUDA"),
        },
    )
    anchor = {"lean_bf16_compiled_S1": 12000.0, "lean_bf16_compiled_S4": 1300.0, "lean_bf16_S4": "ERROR OOM"}
    table = bench.markdown([result], torch.device("cpu"), 100.0, 10, anchor)
    assert "| bf16+compile+step (2 graphs, 0 breaks) | 3000 |" in table
    assert "| **3.00x** | 0.25x (lean_bf16_compiled_S1) |" in table
    assert "failed: RuntimeError: no CUDA" in table
    assert "| **3.00x** |  |" in bench.markdown([result], torch.device("cpu"), 100.0, 10)  # no anchor measured
    # a result measured in another process (the device check's own-process variant) comes back whole from its JSON
    assert bench.CaseResult.from_json(json.loads(json.dumps(result.to_json()))) == result


def test_a_case_reports_each_variant_as_it_is_measured():
    """A device call cut short keeps the variants measured before the cut (the device check writes on each)."""
    seen: list[list[str]] = []
    cfg = SynthConfig(method="sre2l", ipc=1, classes=(0, 1), iterations=1, seed=3, snapshots=0)
    case = bench.Case("tiny", cfg, "SRe2L, 2 images")
    final = bench.run_case(case, ("fp32", "bf16+nonsense"), warmup=0, on_result=lambda r: seen.append(list(r.engine)))
    assert seen == [[], ["fp32"], ["fp32", "bf16+nonsense"]]
    assert isinstance(final.engine["bf16+nonsense"], bench.Failed) and final.engine["fp32"].img_it_s > 0
