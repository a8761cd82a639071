"""Helper process: run `prism_core synth ARGS` and SIGKILL itself in the middle of writing one batch's files.

    python tests/faults/kill_during_write.py BATCH POINT synth ARGS...

POINT: "png:N" (after the N-th PNG of that batch) or "pixels" (after its pixel file, before its record).
"""

import os
import signal
import sys

from prism_core.cli import main
from prism_core.synthesis import runstore

batch, point, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
state = {"writing": False, "pngs": 0}
real_write_batch, real_atomic_write, real_save_file = (
    runstore.Run.write_batch,
    runstore.atomic_write,
    runstore.save_file,
)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def write_batch(self, record, *args, **kwargs):
    state["writing"] = record.index == batch
    return real_write_batch(self, record, *args, **kwargs)


def atomic_write(path, data):
    real_atomic_write(path, data)
    if state["writing"] and path.suffix == ".png":
        state["pngs"] += 1
        if point == f"png:{state['pngs']}":
            die()


def save_file(tensors, filename, *args, **kwargs):
    real_save_file(tensors, filename, *args, **kwargs)
    if state["writing"] and point == "pixels":
        die()  # the pixel file exists under its temporary name; the batch record was never written


runstore.Run.write_batch, runstore.atomic_write, runstore.save_file = write_batch, atomic_write, save_file
sys.exit(main(argv))
