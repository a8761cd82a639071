"""What the init-controlled comparison measures: rows, claims, students and budgets.

A cell is (row, IPC, seed). Every method runs from noise and from real images with the same optimiser setting per
init (synthesis/init_settings.py), so two rows differ only in the method or only in the init. Two rows need no
synthesis: a random real subset (a new draw per seed), and the init images, the first IPC training images of each
class that every real-init row starts from (PRISM's rule, the same for every seed), so that a real-init row's gain
over them is what its optimisation adds and their gap to the random subset is what the choice of images adds.
Selection rows optimise nothing: herding, k-center, easy (lowest loss), a difficulty window and CCS
(coverage-centric) pick real training images, and RDED stitches the crops its observer scores best, all scored by a
zoo model that no evaluation uses (regnetx_002 on the embedded zoo) among a seeded draw of 1,000 images per class
(RDED: 300); SRe2L · herding and PRISM · herding start from the herding images with the real-init setting.
Students (ResNet-18; the DD ConvNet and a 6-layer ViT, families that no method uses as a teacher) train from scratch
for 300 epochs at IPC 1-10 (IPC 10, batch 50: 600 updates) and 150 at IPC 50 (1,500 updates), AdamW at lr 1e-3,
cosine schedule, on random-resized crops and flips; *soft*: MSE to the workspace's ResNet-18's logits on exactly
those crops + 0.1 CE, with CutMix; *hard*: CE on the true labels, no teacher, no CutMix. Top-1 on the full test
split. The ViT underfits 100 images (about 50 % on Fashion-MNIST's random real subset, against ResNet-18's 83 %);
lr 3e-3, tried on that subset alone (seed 0, so no method's images chose it), lifts its hard-label score (54.6
against 48.8) but sinks its soft-label one (33.2 against 49.9), so every student keeps lr 1e-3. Diversity and
fidelity in the features of the workspace's extractor, a model that takes part in no run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..evaluation import EvalConfig
from ..fields import opt
from ..synthesis import SynthConfig
from ..synthesis.init_settings import GVBSM_INIT_SETTINGS, INIT_SETTINGS
from ..synthesis.methods import get_method
from ..synthesis.recipes import fit_to_zoo, with_calibrated
from ..workspaces import Workspace

PROTOCOL = 1  # cells of another protocol are measured again
# rows whose rule changed since: k-center starts at a seeded random image (2026-12-08; it started at the class mean)
ROW_PROTOCOLS = {"k-center": 2}


def protocol_of(row: str) -> int:
    """The protocol a row's cells must have been measured under to count."""
    return ROW_PROTOCOLS.get(row, PROTOCOL)


# real training images taken as they are, by the random rule (a new draw per seed) and the first-k rule
REAL_ROWS = {"random real": "random", "real init images": "first"}
_METHODS = {"SRe2L": "sre2l", "PRISM": "prism", "PRISM balanced": "prism-balanced"}
SYNTH_ROWS: dict[str, SynthConfig] = {
    **{
        f"{m} · {i}": SynthConfig(method=name, **INIT_SETTINGS[i])
        for m, name in _METHODS.items()
        for i in INIT_SETTINGS
    },
    **{f"G-VBSM · {i}": SynthConfig(method="gvbsm", **s) for i, s in GVBSM_INIT_SETTINGS.items()},
}
# Selection rules: real training images (RDED: its stitched patches) picked by a rule, no optimisation; and the two
# BN-matching methods started from a herding selection instead of the first images, with the real-init setting
SELECTION_ROWS: dict[str, SynthConfig] = {
    row: SynthConfig(method=rule)
    for row, rule in (
        ("herding", "herding"),
        ("k-center", "kcenter"),
        ("easy", "easy"),
        ("difficulty", "difficulty"),
        ("CCS", "ccs"),
        ("RDED", "rded"),
    )
}
SYNTH_ROWS.update(
    {
        f"{m} · herding": SynthConfig(method=name, **{**INIT_SETTINGS["real"], "init": "herding"})
        for m, name in (("SRe2L", "sre2l"), ("PRISM", "prism"))
    }
)
CORESETS = ("random real", "herding", "k-center", "easy", "difficulty", "CCS")  # real images picked by a rule
ROWS = (*REAL_ROWS, *SYNTH_ROWS, *SELECTION_ROWS)
# the rows also measured at IPC 1 and 50
MAIN = ("random real", "real init images", "SRe2L · noise", "PRISM · noise", "SRe2L · real", "PRISM · real")
# The BN-set ablation (IPC 10, real init, PRISM's recipe): SRe2L · real is |S| = 1, PRISM · real the official draw
# (the primary + 3 pool slots, each filled with p = 0.5).
ABLATION: dict[str, SynthConfig] = {
    "PRISM |S| = 2 · real": SynthConfig(method="prism", subset_rule="k", subset_k=2, **INIT_SETTINGS["real"]),
    "PRISM |S| = 4 · real": SynthConfig(method="prism", subset_rule="k", subset_k=4, **INIT_SETTINGS["real"]),
    "PRISM primary out · real": SynthConfig(method="prism", include_primary=False, **INIT_SETTINGS["real"]),
}
ALL_ROWS = (*ROWS, *ABLATION)
STUDENTS = ("resnet18", "convnet", "vit")
LABELS = ("soft", "hard")
EVALS = tuple(f"{s} {lab}" for s in STUDENTS for lab in LABELS)
METRICS = {"Vendi": "vendi", "coverage": "coverage", "intra-class cos": "cosine", "density": "density"}
MOONSHOT = ("resnet18 soft", "resnet18 hard", "convnet soft", "convnet hard")
# the README's compact table: the references, then each method from noise, from real images and from a coreset
HEADLINE_ROWS = (
    "random real",
    "herding",
    "RDED",
    "SRe2L · noise",
    "PRISM · noise",
    "SRe2L · real",
    "PRISM · real",
    "PRISM · herding",
)
# the claims checked per IPC: (a, b) reads "a beats b"
CLAIMS = [
    *((f"{m} · {i}", f"SRe2L · {i}") for i in INIT_SETTINGS for m in ("PRISM", "PRISM balanced")),
    *((f"PRISM · {i}", "random real") for i in INIT_SETTINGS),
    ("SRe2L · real", "real init images"),
    ("PRISM · real", "real init images"),
    ("real init images", "random real"),
    ("PRISM · real", "PRISM · noise"),
    ("SRe2L · real", "SRe2L · noise"),
    *((f"PRISM balanced · {i}", f"PRISM · {i}") for i in INIT_SETTINGS),
    *((f"PRISM · {i}", f"G-VBSM · {i}") for i in INIT_SETTINGS),  # the multi-teacher baseline, same init
    ("PRISM · herding", "herding"),
    ("SRe2L · herding", "herding"),
    ("PRISM · herding", "PRISM · real"),
    ("RDED", "random real"),
    ("herding", "random real"),
    ("easy", "random real"),
]


# Named budgets for the app's form and the CLI's --preset: what a class can watch finish, the selections beside PRISM,
# and the shipped protocol; PRESET_NOTES says what each is, for both.
PRESETS = {
    "classroom": dict(
        rows=("random real", "SRe2L · noise", "PRISM · noise"),
        ipcs=(1,),
        seeds=1,
        students=("convnet",),
        labels=LABELS,
        epochs=20,
    ),
    "coresets": dict(
        rows=("random real", *SELECTION_ROWS, "SRe2L · herding", "PRISM · herding", "PRISM · real"),
        ipcs=(1, 10),
        seeds=3,
        students=("resnet18", "convnet"),
        labels=LABELS,
        epochs=None,
    ),
    "paper": dict(rows=MAIN, ipcs=(10,), seeds=3, students=("resnet18", "convnet"), labels=LABELS, epochs=None),
}
PRESET_NOTES = {
    "classroom": "IPC 1, one seed, 20 epochs, ConvNet students: minutes on 2 cores (one seed gives no interval)",
    "coresets": "the selections and RDED beside PRISM and SRe2L from herding's images, IPC 1 and 10, 3 seeds",
    "paper": "the shipped protocol: the main rows at IPC 10, 3 seeds, ResNet-18 and ConvNet, 300 epochs: hours",
}


class BenchmarkError(ValueError):
    """A benchmark cannot run as asked; the message names the flag and the choices."""


def epochs(ipc: int) -> int:
    """300 epochs at IPC 1-10 (the published budget), 150 at IPC 50 (1,500 updates of batch 50)."""
    return 300 if ipc <= 10 else 150


def eval_config(label: str, weights: str = "zoo") -> EvalConfig:
    """An evaluation column ("resnet18 soft") as a student config; soft labels come from the workspace's ResNet-18."""
    student, kind = label.rsplit(" ", 1)
    return EvalConfig(student=student, weights=weights, **({} if kind == "soft" else {"loss": "ce"}))


def key(row: str, ipc: int, seed: int) -> str:
    return f"{row}|{ipc}|{seed}"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark request: which cells, measured how. `epochs` None: the protocol's budget per IPC."""

    workspace: Workspace
    rows: tuple[str, ...] = opt(MAIN, "rows, as docs/results.md names them", label="Rows")
    ipcs: tuple[int, ...] = opt((10,), "images per class: a cell per row, IPC and seed", label="IPCs")
    seeds: int = opt(3, "seeds per row, each a pair for the paired intervals", label="Seeds", bounds=(1, None))
    students: tuple[str, ...] = opt(
        ("resnet18", "convnet"), f"students trained from scratch, of {', '.join(STUDENTS)}", label="Students"
    )
    labels: tuple[str, ...] = opt(
        LABELS, "soft (the workspace's ResNet-18's logits) and/or hard (the true labels)", label="Labels"
    )
    epochs: int | None = opt(
        None, "student epochs (the protocol's: 300 at IPC <= 10, else 150)", label="Epochs (0: the protocol's)"
    )
    device: str = opt("cpu", "cpu (the default), or cuda for every task (each asks for a GPU slot)")
    threads: int = opt(1, "torch threads per task (default: 1)")
    extra: dict = field(default_factory=dict)  # synthesis fields every synthesised row takes (tests: iterations)

    def __post_init__(self) -> None:
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise BenchmarkError(message)

        unknown = [r for r in self.rows if r not in ALL_ROWS]
        need(not unknown, f"--rows: unknown {', '.join(map(repr, unknown))}; choose from {', '.join(ALL_ROWS)}")
        need(bool(self.rows), "--rows: give at least one row")
        bad = [s for s in self.students if s not in STUDENTS]
        need(not bad, f"--students: unknown {', '.join(map(repr, bad))}; choose from {', '.join(STUDENTS)}")
        need(bool(self.students), "--students: give at least one student")
        bad = [lab for lab in self.labels if lab not in LABELS]
        need(not bad and bool(self.labels), f"--labels: choose from {', '.join(LABELS)}, not {', '.join(bad)}")
        need(
            bool(self.ipcs) and all(isinstance(i, int) and i > 0 for i in self.ipcs),
            f"--ipcs: positive integers, got {','.join(map(str, self.ipcs))}",
        )
        need(isinstance(self.seeds, int) and self.seeds > 0, f"--seeds: a positive integer, got {self.seeds}")
        need(self.epochs is None or self.epochs > 0, f"--epochs: a positive integer, got {self.epochs}")

    @property
    def evals(self) -> list[str]:
        return [f"{s} {lab}" for s in self.students for lab in self.labels]

    def cells(self) -> list[tuple[str, int, int]]:
        """Every (row, IPC, seed), seed by seed so that each finished seed adds a pair to every difference."""
        return [(r, ipc, s) for ipc in self.ipcs for s in range(self.seeds) for r in self.rows]

    def synth_config(self, row: str, ipc: int, seed: int) -> SynthConfig:
        """The row's recipe on the workspace, its default BN pool and selector fitted to the workspace's zoo (the
        embedded zoo has them all); on a calibrated workspace, the optimiser setting of the row's init is the
        calibrated one (still one setting per init, so two rows differ only in the method or only in the init)."""
        cfg = SYNTH_ROWS.get(row) or SELECTION_ROWS.get(row) or ABLATION[row]
        method = get_method(cfg.method)
        if self.workspace.zoo_dir is not None:
            cfg = fit_to_zoo(cfg, method, self.workspace.teachers())[0]
        cfg = with_calibrated(cfg, method, self.workspace.calibrated, force=True)[0]
        return cfg.replace(
            ipc=ipc, seed=seed, snapshots=0, device=self.device, **self.workspace.run_fields(), **self.extra
        )

    def epochs_at(self, ipc: int) -> int:
        return self.epochs or epochs(ipc)
