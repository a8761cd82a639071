"""`synth`: one synthesis (or selection) run, with a progress bar of batches and the step's losses."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm.auto import tqdm

from ..distributed import shard_from_env
from ..events import BatchDone, Done, Started, Step
from ..synthesis import METHODS, SynthConfig, get_method, synthesize
from ..synthesis.config import COMPILE_MODES
from ..synthesis.presets import preset
from ..synthesis.recipes import fit_to_zoo
from .flags import add_config_flags, add_workspace_flag, given_fields, workspace

# config fields whose flags have a shape of their own (added by hand in `register`)
OWN_FLAGS = {
    "checkpoints": "--checkpoint",
    "include_primary": "--exclude-primary",
    "compile": "--compile",
    "method": "--method",
}


def synth_config_from_args(args: argparse.Namespace) -> SynthConfig:
    """The config file, preset or defaults, then the workspace's fields, then each flag given."""
    cfg = (
        SynthConfig.from_json(Path(args.config).read_text())
        if args.config
        else preset(args.preset)
        if args.preset
        else SynthConfig()
    )
    if args.workspace:
        ws = workspace(args)
        cfg = cfg.replace(**ws.run_fields())
        if ws.zoo_dir is not None:
            named = {
                k: v
                for k, v in given_fields(SynthConfig, args).items()
                if k in ("bn_pool", "primary", "selector", "init", "lr", "r_bn", "iterations")
            }
            method = get_method(args.method or cfg.method)
            cfg, notes = fit_to_zoo(cfg.replace(**named), method, ws.teachers(), ws.calibrated)
            for note in notes:
                print(f"{note}; workspace {ws.name}", file=sys.stderr)
    overrides = {k: v for k, v in given_fields(SynthConfig, args).items() if k not in OWN_FLAGS}
    overrides.update(compile=args.compile, method=args.method)
    if args.checkpoint:
        pairs = [item.split("=", 1) for item in args.checkpoint]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("--checkpoint takes NAME=FILE, e.g. tv_resnet18=/weights/r18.safetensors")
        overrides["checkpoints"] = {**(cfg.checkpoints or {}), **dict(pairs)}
    if args.exclude_primary:
        overrides["include_primary"] = False
    return cfg.replace(**{k: v for k, v in overrides.items() if v is not None})


def cmd_synth(args: argparse.Namespace) -> int:
    cfg = synth_config_from_args(args)
    shard = shard_from_env()
    bar, summary = None, {}
    for event in synthesize(cfg, args.out, resume=args.resume, overwrite=args.overwrite, shard=shard):
        if isinstance(event, Started):
            print(
                f"{event.config['method']}: {event.batches} batches in the plan, {event.already_done} already "
                f"finished here, {len(event.todo)} to do -> {event.run}",
                file=sys.stderr,
            )
            bar = tqdm(total=len(event.todo), unit="batch", disable=shard[0] != 0 and not sys.stderr.isatty())
        elif isinstance(event, Step) and bar is not None:
            bar.set_postfix_str(
                f"b{event.batch} step {event.step}/{event.iterations} "
                + " ".join(f"{k}={v:.3g}" for k, v in event.losses.items() if "/" not in k)
                + f" {event.img_per_s:.0f} img-it/s"
            )
        elif isinstance(event, BatchDone):
            bar.update(1)
            summary = event.record.final_losses
        elif isinstance(event, Done):
            bar.close()
            losses = ", ".join(f"{k}={v:.4g}" for k, v in summary.items() if "/" not in k)
            print(
                f"done: {event.batches} batches in {event.seconds:.1f} s"
                + (f"; last batch losses: {losses}" if losses else " (a selection: nothing optimised)"),
                file=sys.stderr,
            )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="synthesise a distilled dataset (SRe2L, PRISM, G-VBSM)")
    p.add_argument("--config", help="a JSON config file (flags override its values)")
    add_workspace_flag(p, "dataset, weights and checkpoints; --dataset, --weights and --checkpoint override")
    p.add_argument("--preset", help="start from a named configuration: sre2l-imagenet, prism-imagenet, gvbsm-imagenet")
    p.add_argument(
        "--method",
        choices=list(METHODS),
        help="the method: " + "; ".join(f"{m.name}: {m.summary}" for m in METHODS.values()),
    )
    add_config_flags(p, SynthConfig, skip=OWN_FLAGS, show_defaults=False)  # None: the method's recipe default
    p.add_argument("--exclude-primary", action="store_true", help="PRISM: keep the primary out of the BN set")
    p.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a checkpoint for one teacher (repeatable), e.g. tv_resnet18=/weights/r18.safetensors",
    )
    p.add_argument(
        "--compile",
        nargs="?",
        const="default",
        choices=COMPILE_MODES,
        metavar="MODE",
        help="torch.compile the teacher forwards with their statistics (default mode; reduce-overhead adds "
        "CUDA graphs); compiles once per teacher and shape, pays off on long runs and GPUs",
    )
    p.add_argument("--out", required=True, help="run directory")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an existing run with its stored configuration")
    g.add_argument("--overwrite", action="store_true", help="replace an existing run")
    p.set_defaults(func=cmd_synth)
