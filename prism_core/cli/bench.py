"""`bench`: the engine against a reference-style loop on the same device (img-it/s, TFLOP/s, memory)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ..bench import cases, markdown, matmul_tflops, run_case, variant_config


def cmd_bench(args: argparse.Namespace) -> int:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    chosen = cases(args.steps, str(device), imagenet_size=args.imagenet_size)
    names = list(chosen) if args.case == "all" else args.case.split(",")
    unknown = [n for n in names if n not in chosen]
    if unknown:
        raise ValueError(f"unknown bench case(s) {unknown}; choose from {', '.join(chosen)} or all")
    variants = (
        tuple(args.variants.split(","))
        if args.variants
        else ("fp32", "bf16", "bf16+compile")
        if device.type == "cuda"
        else ("fp32",)
    )
    for variant in variants:
        variant_config(chosen[names[0]].config, variant)  # a typo fails before anything runs
    rate = matmul_tflops(device)
    results = []
    for name in names:
        print(
            f"{name}: the reference-style loop, then the engine ({', '.join(variants)}; "
            f"{args.steps} steps per batch)...",
            file=sys.stderr,
            flush=True,
        )
        results.append(run_case(chosen[name], variants, warmup=args.warmup))
        print(results[-1].line(), file=sys.stderr, flush=True)
    table = markdown(results, device, rate, args.steps)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "device": str(device),
                    "matmul_tflops": rate,
                    "steps": args.steps,
                    "results": [r.to_json() for r in results],
                },
                indent=1,
            )
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="the engine vs a reference-style loop: image-iterations/s, TFLOP/s, memory")
    p.add_argument(
        "--case",
        default="fmnist-defaults",
        help="fmnist-defaults, sre2l-imagenet, prism4-imagenet (comma-separated) or all",
    )
    p.add_argument("--steps", type=int, default=20, help="optimisation steps per batch for both loops")
    p.add_argument("--device", help="default: cuda when available, else cpu")
    p.add_argument(
        "--imagenet-size",
        type=int,
        help="the ImageNet cases' image size in px (default: ImageNet's; smaller for CPU checks)",
    )
    p.add_argument(
        "--variants",
        help="engine variants, comma-separated, each fp32|bf16 joined with +cl (channels_last), "
        "+compile, +cudagraphs, +packN (default: fp32,bf16,bf16+compile on a GPU, fp32 on "
        "the CPU)",
    )
    p.add_argument("--warmup", type=int, default=2, help="untimed engine steps first (compilation, autotuning)")
    p.add_argument("--json", help="also write every figure as JSON to this file")
    p.add_argument("--out", help="also write the markdown table to this file")
    p.set_defaults(func=cmd_bench)
