"""The compiled scopes on the CPU: SRe2L on Fashion-MNIST (zoo ResNet-18, IPC 10: one packed batch of 100) eager, with
compiled teacher forwards (`--compile default`) and with the whole step compiled (`--graph step`), each timed over 30
steps after a 5-step warm-up (compilation happens there) in one process.

    python benchmarks/compiled_step_cpu.py [--threads 1]
"""

import argparse
import time

import torch

from prism_core.bench import run_steps
from prism_core.synthesis import SynthConfig, prepare

SCOPES = {"eager": {}, "teachers": dict(compile="default"), "step": dict(compile="default", graph="step")}


def run(p, iterations: int) -> float:
    """Seconds for `iterations` steps of p's plan."""
    start = time.perf_counter()
    run_steps(p, iterations)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    torch.set_num_threads(ap.parse_args().threads)
    for name, changes in SCOPES.items():
        p = prepare(SynthConfig(method="sre2l", ipc=10, log_every=1000, snapshots=0, **changes))
        warm = run(p, 5)
        rate = sum(len(b.classes) for b in p.plan) * 30 / run(p, 30)
        print(f"{name}: warm-up {warm:.1f} s, {rate:.0f} image-iterations/s", flush=True)


if __name__ == "__main__":
    main()
