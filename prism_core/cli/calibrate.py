"""`calibrate`: a workspace's recipes, chosen by a small seeded sweep and written beside its zoo."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from ..calibrated import Point, write_calibrated
from ..calibration import SWEEPS, calibrate
from ..workspaces import get_workspace


def cmd_calibrate(args: argparse.Namespace) -> int:
    ws = get_workspace(args.workspace)
    bar = tqdm(unit="point", desc=f"calibrating {ws.name}")

    def show(point: Point, done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)
        tqdm.write(
            f"{point.init:5} {point.method:5} {point.recipe.said():32} held-out top-1 {point.top1:5.1f} %  "
            f"final CE {point.loss:.3f}  {point.seconds:.0f} s"
        )

    calibrated = calibrate(ws, ipc=args.ipc, seed=args.seed, device=args.device, sweeps=SWEEPS, on_point=show)
    bar.close()
    out = write_calibrated(Path(args.out) if args.out else ws.zoo_dir, calibrated)
    print(f"judge: {calibrated.judge} (held out), IPC {calibrated.ipc}, seed {calibrated.seed}")
    for kind, recipe in calibrated.recipes.items():
        checked = [p for p in calibrated.points if p.init == kind and p.method != "sre2l"]
        said = "".join(f"; {p.method} there: {p.top1:.1f} %" for p in checked)
        print(f"from {kind}: {recipe.said()}{said}")
    print(f"wrote {out}: synth, the benchmark and the app use it for {ws.name}; explicit flags still win")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="choose a workspace's recipes (lr, r_bn, steps per init) by a small sweep")
    p.add_argument("--workspace", required=True, help="a workspace with a zoo ('embedded' or one of $PRISM_WORKSPACES)")
    p.add_argument("--ipc", type=int, default=5, help="images per class of each point (default: 5)")
    p.add_argument("--seed", type=int, default=0, help="the seed of every point (default: 0)")
    p.add_argument("--device", default="cpu", help="cpu (the default) or cuda")
    p.add_argument("--out", help="the folder of recipes.json (default: the workspace's zoo, where it is read)")
    p.set_defaults(func=cmd_calibrate)
