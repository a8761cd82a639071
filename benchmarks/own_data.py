"""Issue 41's acceptance on folders unlike Fashion-MNIST: the README's zoo trained on each, the workspace check,
`calibrate`, the classroom benchmark preset (with the real-init rows added), and how well a held-out zoo model
recognises each row's images.

    python benchmarks/own_data.py [--out runs/own-data] [--folders letters,fashion5,shapes] [--only resnet18,...]

Folders (generated, seeded, from what a Debian machine has): 10 letters in the DejaVu fonts (32 px RGB, 60 train
and 20 test per class), a 5-class 64 px coloured cut of Fashion-MNIST (100 and 40), and data/shapes.py's 3 textures
(32 px, 40 and 10). Each finished step is stored in OUT/<folder>/ and skipped when the script runs again, so a long
measurement resumes. Prints one markdown table per folder, the figures the closing note of issue 41 quotes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from prism_core.calibrated import write_calibrated
from prism_core.calibration import calibrate
from prism_core.data import get_dataset
from prism_core.data.folders import write_fashion_cut, write_letters
from prism_core.data.shapes import write_shapes
from prism_core.doctor import examine
from prism_core.events import TeacherSaved
from prism_core.metrics import run_images01
from prism_core.synthesis.runstore import Run
from prism_core.teachers import create_teacher, read_manifest
from prism_core.teachers.report import teacher_report
from prism_core.teachers.zoo import train_zoo_teacher, training_for
from prism_core.training import predict
from prism_core.workspaces import Workspace, declaration, get_workspace

README_ZOO = "resnet18,regnetx_002,ghostnet_050,convnext_atto"
ROWS = "random real,SRe2L · noise,PRISM · noise,SRe2L · real,PRISM · real"  # the classroom preset's, plus real init
JUDGE = "convnext_atto"  # BN-free: never in a BN pool, never the primary of a benchmark row


def build(name: str, root: Path) -> str:
    """The folder `name` under root (once) and its dataset name."""
    folder = root / "data"
    if not (folder / "train").is_dir():
        if name == "letters":
            write_letters(folder)
        elif name == "fashion5":
            write_fashion_cut(folder, get_dataset("fashion_mnist"))
        else:
            write_shapes(folder)
    return f"folder:{folder}"


def teachers(dataset: str, root: Path, only: list[str]) -> list[dict]:
    done = root / "teachers.json"
    if done.is_file():
        return json.loads(done.read_text())
    data = get_dataset(dataset)
    saved = []
    stored = read_manifest(root / "zoo").teachers if (root / "zoo" / "manifest.json").is_file() else {}
    for arch in only:
        if arch in stored:  # trained by an earlier, interrupted run of this script
            e = stored[arch]
            saved.append(TeacherSaved(arch, e.test_top1, e.train_seconds, e.val_top1))
            continue
        for event in train_zoo_teacher(arch, data, root / "zoo", training_for(arch, data.info), dataset_name=dataset):
            if isinstance(event, TeacherSaved):
                saved.append(event)
                print(f"  {arch}: validation {event.val_top1} %, {event.seconds:.0f} s", flush=True)
    rows = [r.to_json() for r in teacher_report(saved)]
    done.write_text(json.dumps(rows, indent=1))
    return rows


def calibrated(ws: Workspace) -> dict[str, str]:
    """The workspace's recipes, calibrated once (stored beside its zoo)."""
    found = ws.calibrated or write_calibrated(ws.zoo_dir, calibrate(ws)) and ws.calibrated
    return {kind: recipe.said() for kind, recipe in found.recipes.items()}


def benchmark(name: str, root: Path, toml: Path) -> tuple[int, str]:
    out = root / "bench"
    if (out / "results.md").is_file():
        return 0, "stored"
    env = dict(os.environ, PRISM_WORKSPACES=str(toml), HF_HUB_OFFLINE="1")
    cmd = [
        sys.executable,
        "-m",
        "prism_core",
        "benchmark",
        "--workspace",
        name,
        "--preset",
        "classroom",
        "--rows",
        ROWS,
    ]
    proc = subprocess.run([*cmd, "--out", str(out)], env=env, capture_output=True, text=True)
    return proc.returncode, (proc.stdout + proc.stderr)[-2000:]


def recognition(dataset: str, root: Path, toml: Path, name: str) -> dict[str, float]:
    """Top-1 of the held-out judge on each row's images (every run the benchmark made)."""
    os.environ["PRISM_WORKSPACES"] = str(toml)
    ws = get_workspace(name)
    info = get_dataset(dataset).info
    judge = create_teacher(JUDGE, info, weights=ws.weights).model
    scores = {}
    for path in sorted((root / "bench" / "runs").iterdir()):
        try:
            x, classes, _ = run_images01(Run(path))
        except Exception as err:  # a failed cell leaves a run without images
            scores[path.name] = float("nan")
            print(f"  {path.name}: no images ({err})")
            continue
        scores[path.name] = round(100 * float((predict(judge, x, info).numpy() == classes).mean()), 1)
    return scores


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/own-data")
    ap.add_argument("--folders", default="letters,fashion5,shapes")
    ap.add_argument("--only", default=README_ZOO, help="the zoo each folder is given (the README's line)")
    args = ap.parse_args()
    for name in args.folders.split(","):
        root = Path(args.out) / name
        root.mkdir(parents=True, exist_ok=True)
        start = time.time()
        dataset = build(name, root)
        print(f"## {name}: {dataset}", flush=True)
        rows = teachers(dataset, root, args.only.split(","))
        toml = root / "workspaces.toml"
        toml.write_text(declaration(name, dataset, root / "zoo"))
        os.environ["PRISM_WORKSPACES"] = str(toml)
        report = examine(get_workspace(name))
        recipes = calibrated(get_workspace(name))
        code, tail = benchmark(name, root, toml)
        scores = recognition(dataset, root, toml, name) if (root / "bench" / "runs").is_dir() else {}
        summary = {
            "teachers": rows,
            "check_ok": report.ok,
            "recipes": recipes,
            "benchmark_rc": code,
            "recognition": scores,
        }
        (root / "summary.json").write_text(json.dumps(summary, indent=1))
        print("| teacher | validation top-1 | test top-1 | s | verdict |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['teacher']} | {r['val_top1']} | {r['test_top1']} | {r['seconds']} | {r['verdict']} |")
        print(f"workspaces check: {'passes' if report.ok else 'FAILS'}; recipes {recipes}; benchmark exit {code}")
        if code:
            print(tail)
        for run, top1 in scores.items():
            print(f"- {run}: {JUDGE} top-1 {top1} %")
        print(f"({time.time() - start:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
