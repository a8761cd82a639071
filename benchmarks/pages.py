"""Page renders against a run store that holds a 50,000-image run: the app must cost what it shows, not what
the store holds.

    python benchmarks/pages.py [--store /tmp/prism-bigstore] [--images 50000] [--repeat 3]

Builds (once; reused on later calls) a store with one Fashion-MNIST run of `--images` images written by the run
store itself (real training images as the "synthetic" ones, 100 per batch), then times renders of Runs, Gallery,
Diversity and Embeddings with Streamlit's AppTest (the script runs in this process, as in a server): with the
store empty (the shipped examples only) and with the big run in it, each page first as it opens (the examples'
fair pair selected) and then with the big run selected where the page takes a selection. Prints a markdown table
of first renders in a new session (after this process's first) and warm re-renders. Streamlit's caches live
for the process, as in a server: the first configuration pays the examples' one-off loads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from prism_core.data import class_indices, get_dataset  # noqa: E402
from prism_core.records import BatchRecord  # noqa: E402
from prism_core.synthesis import SynthConfig  # noqa: E402
from prism_core.synthesis.run_health import run_status  # noqa: E402
from prism_core.synthesis.runstore import Run  # noqa: E402

BIG = "big-run"
PAGES = {
    "Runs": ("app_pages/runs.py", None),
    "Gallery": ("app_pages/gallery.py", "gallery_runs"),
    "Diversity": ("app_pages/diversity.py", "div_runs"),
    "Embeddings": ("app_pages/embeddings.py", "emb_runs"),
}


def build_store(store: Path, images: int) -> Run:
    """A finished run of `images` images over the 10 classes (IPC = images / 10), as the engine writes one."""
    run = Run(store / BIG)
    if run.exists() and run_status(run).state == "finished":
        return run
    ds = get_dataset("fashion_mnist")
    train, info = ds.split("train"), ds.info
    ipc = images // info.num_classes
    cfg = SynthConfig(method="prism", ipc=ipc, iterations=1, init="first", bn_pool=("mobilenetv2_050",))
    run.create(
        {
            "config": cfg.to_dict()
            | {
                "classes": list(range(10)),
                "lr": 0.05,
                "r_bn": 0.01,
                "jitter": 2,
                "crop_scale": [0.5, 1.0],
                "subset_rule": "official",
                "vary_iterations": False,
                "batch_formation": "cross-class",
            },
            "class_names": list(info.class_names),
            "teachers": {},
            "plan": {"images": images},
        }
    )
    pool = {c: class_indices(train, c) for c in range(info.num_classes)}
    pairs = [(c, k) for k in range(ipc) for c in range(info.num_classes)]
    t0 = time.perf_counter()
    for index, start in enumerate(range(0, len(pairs), 100)):
        chunk = pairs[start : start + 100]
        x01 = train.load([pool[c][k % len(pool[c])] for c, k in chunk])
        classes, ks = [c for c, _ in chunk], [k for _, k in chunk]
        run.write_batch(
            BatchRecord(
                index, tuple(classes), tuple(ks), (index,), 1, (("resnet18",),), ({("resnet18",): 1},), {"total": 0.0}
            ),
            info.normalize(x01),
            x01,
        )
        if index % 50 == 0:
            print(
                f"  writing the big run: {start + len(chunk)}/{images} images, {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    run.set_status("finished", batches_total=len(pairs) // 100)
    return run


def render_times(page: str, select_key: str | None, big: bool, repeat: int) -> tuple[float, float]:
    """(the page's first render in a new session, including selecting the big run; the median warm re-render)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=600)
    at.run()
    t0 = time.perf_counter()
    at.switch_page(page).run()
    if select_key and big:
        widget = at.multiselect(key=select_key)
        widget.set_value([next(o for o in widget.options if o.startswith(BIG))]).run()
    first = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    return first, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", default=str(Path(tempfile.gettempdir()) / "prism-bigstore"))
    ap.add_argument("--images", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    store, empty = Path(args.store), Path(tempfile.mkdtemp(prefix="prism-empty-"))
    build_store(store, args.images)
    rows = []
    for name, (page, key) in PAGES.items():
        os.environ["PRISM_RUNS_DIR"] = str(empty)
        base = render_times(page, key, False, args.repeat)
        os.environ["PRISM_RUNS_DIR"] = str(store)
        opened = render_times(page, key, False, args.repeat)
        chosen = render_times(page, key, True, args.repeat) if key else None
        rows.append((name, base, opened, chosen))
        print(f"{name}: {base} / {opened} / {chosen}", file=sys.stderr, flush=True)
    print(
        f"\nPage renders, seconds: a new session's first render / warm re-render (median of {args.repeat}); "
        f"{os.cpu_count()} cores; the store holds a {args.images:,}-image run:\n"
    )
    print("| page | examples only | + the big run in the store | the big run selected |")
    print("|---|---:|---:|---:|")
    for name, base, opened, chosen in rows:
        cells = [f"{first:.2f} / {warm:.2f}" for first, warm in (base, opened)]
        cells.append("-" if chosen is None else f"{chosen[0]:.2f} / {chosen[1]:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
