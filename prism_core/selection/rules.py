"""Coreset rules: which real training images stand for a class, with no optimisation.

Every rule sees, per class, a seeded draw of candidate images (all of the class when it has fewer) and a selector
model's penultimate features and logits on them; the selector is a zoo model that takes no part in the evaluation
(regnetx_002 by default: neither the soft-label teacher nor the metrics' extractor). A rule returns each class's IPC
images with the training indices they came from. The same rules serve as selection runs (`--method herding`) and as
the init of a synthesis (`--init herding`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data import DatasetInfo, Split, class_indices
from ..features import embed


class SelectionError(ValueError):
    """A rule cannot pick as asked; the message names the fix."""


@dataclass(frozen=True)
class Picked:
    """One class's chosen images in [0, 1], and the training-split indices each was made from (one per coreset
    image; up to factor² for an RDED collage)."""

    images01: torch.Tensor
    sources: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Selector:
    """The model that embeds and scores real images for the rules, on the dataset's normalisation."""

    model: nn.Module
    info: DatasetInfo

    def __call__(self, images01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(features, logits) of images in [0, 1]."""
        return embed(self.model, images01, self.info)


@dataclass(frozen=True)
class Candidates:
    """One class's candidates: their training indices, with the selector's features and logits on them."""

    label: int
    indices: np.ndarray
    features: torch.Tensor
    logits: torch.Tensor

    def losses(self) -> torch.Tensor:
        """The selector's cross-entropy on each candidate's true class."""
        return F.cross_entropy(self.logits, torch.full((len(self.indices),), self.label), reduction="none")

    def el2n(self) -> np.ndarray:
        """EL2N difficulty, ||softmax - one-hot||, from the selector (Paul et al. take it early in training, averaged
        over seeds; a trained zoo model is what a workspace has)."""
        probs = self.logits.softmax(1)
        return (probs - F.one_hot(torch.tensor(self.label), probs.shape[1])).norm(dim=1).numpy()


def class_pool(split: Split, cls: int, ipc: int) -> np.ndarray:
    idx = class_indices(split, cls)
    if len(idx) < ipc:
        raise SelectionError(f"class {cls} has {len(idx)} training images, fewer than IPC {ipc}; lower the IPC")
    return idx


def too_few_candidates(candidates: int, ipc: int) -> str:
    return (
        f"{candidates} candidates per class cannot give IPC {ipc} distinct images; raise --candidates to at least "
        f"{ipc}, or 0 for the whole class"
    )


class Rule:
    """Picks IPC images per class from seeded candidates scored by the selector; subclasses say in what order."""

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    candidates: ClassVar[int] = 1000  # per class, drawn with the run's seed (0: the whole class)
    needs_selector: ClassVar[bool] = True

    def pick(
        self,
        split: Split,
        classes: Sequence[int],
        ipc: int,
        seed: int,
        selector: Selector | None,
        candidates: int | None = None,
    ) -> dict[int, Picked]:
        if selector is None:
            raise SelectionError(f"the {self.name} rule needs a selector model to embed and score the candidates")
        rng = np.random.default_rng(seed)
        out = {}
        for c in classes:
            idx = self.draw(split, c, ipc, candidates, rng)
            out[c] = _as_picked(split, idx[self.order(Candidates(c, idx, *selector(split.load(idx))), ipc, rng)])
        return out

    def draw(self, split: Split, cls: int, ipc: int, candidates: int | None, rng: np.random.Generator) -> np.ndarray:
        """The class's candidates: a seeded draw of `candidates` (the rule's own number when None) of its training
        indices, sorted; the whole class when it has no more (or with 0)."""
        limit = self.candidates if candidates is None else candidates
        if 0 < limit < ipc:  # a rule would repeat images or return fewer than asked
            raise SelectionError(too_few_candidates(limit, ipc))
        idx = class_pool(split, cls, ipc)
        return np.sort(rng.choice(idx, limit, replace=False)) if 0 < limit < len(idx) else idx

    def order(self, cand: Candidates, ipc: int, rng: np.random.Generator) -> np.ndarray:
        """Positions (into `cand.indices`) of the class's `ipc` images; `rng` is the run's, after the draw."""
        raise NotImplementedError

    def configured(self, kcenter_start: str) -> Rule:
        """The rule with a run's options (only k-center has one)."""
        return self


class First(Rule):
    name, title = "first", "first k"
    summary = "the first IPC training images of each class, whatever the seed (PRISM's real init)"
    needs_selector = False

    def pick(self, split, classes, ipc, seed, selector, candidates=None):
        return {c: _as_picked(split, class_pool(split, c, ipc)[:ipc]) for c in classes}


class Random(Rule):
    name, title = "random", "random"
    summary = "a uniform random draw of IPC training images per class, a new one per seed"
    needs_selector = False

    def pick(self, split, classes, ipc, seed, selector, candidates=None):
        rng = np.random.default_rng(seed)  # one generator across the classes, in class order
        return {c: _as_picked(split, rng.choice(class_pool(split, c, ipc), ipc, replace=False)) for c in classes}


class Herding(Rule):
    name, title = "herding", "herding"
    summary = (
        "greedy mean matching (Welling 2009): each next image brings the mean of the chosen features closest "
        "to the class mean"
    )

    def order(self, cand, ipc, rng):
        f = F.normalize(cand.features, dim=1)
        mu, total, chosen = f.mean(0), torch.zeros_like(f[0]), []
        for t in range(ipc):
            gap = ((mu - (total + f) / (t + 1)) ** 2).sum(1)
            gap[chosen] = float("inf")
            chosen.append(int(gap.argmin()))
            total += f[chosen[-1]]
        return np.asarray(chosen)


class KCenter(Rule):
    """k-center greedy on L2-normalised features (cosine geometry: the selector's features differ in scale from class
    to class, and normalised ones are what herding and the metrics compare). The first centre is a seeded random
    candidate, as in Sener and Savarese and DeepCore; `start="mean"` takes the candidate nearest the class mean
    instead, which makes IPC 1 herding's image."""

    name, title = "kcenter", "k-center"
    summary = (
        "k-center greedy (Sener and Savarese 2018) on normalised features: a seeded random first image, then the "
        "image farthest from those chosen"
    )
    STARTS = ("random", "mean")

    def __init__(self, start: str = "random"):
        if start not in self.STARTS:
            raise SelectionError(f"k-center starts at {self.said_starts()}, not {start!r}")
        self.start = start

    @classmethod
    def said_starts(cls) -> str:
        return " or ".join(f"'{s}'" for s in cls.STARTS)

    def configured(self, kcenter_start: str) -> Rule:
        return self if kcenter_start == self.start else KCenter(kcenter_start)

    def order(self, cand, ipc, rng):
        f = F.normalize(cand.features, dim=1)
        first = int(((f - f.mean(0)) ** 2).sum(1).argmin()) if self.start == "mean" else int(rng.integers(len(f)))
        chosen, nearest = [first], ((f - f[first]) ** 2).sum(1)
        for _ in range(ipc - 1):
            chosen.append(int(nearest.argmax()))
            nearest = torch.minimum(nearest, ((f - f[chosen[-1]]) ** 2).sum(1))
        return np.asarray(chosen)


class Easy(Rule):
    name, title = "easy", "easy (lowest loss)"
    summary = "the images the selector finds easiest: lowest cross-entropy on the true class (arXiv 2411.12115)"

    def order(self, cand, ipc, rng):
        return torch.argsort(cand.losses(), stable=True)[:ipc].numpy()


class Difficulty(Rule):
    """EL2N scores, ||softmax - one-hot||, from the trained selector (Paul et al. score early in training; a trained
    zoo model is what a user has). The window is placed by the budget, CAD-Prune's argument (arXiv 2604.18811): few
    images want easy ones, more images harder ones. Its rule here: the window spans max(IPC, 10 % of the candidates)
    ranks from the easiest, starting at quantile 0.5 * log(IPC) / log(candidates) (IPC 1: the easiest tenth; IPC
    10 of 1,000: from the 17th percentile), and each of its IPC equal parts gives its middle image. CAD-Prune's own
    placement was not available to check."""

    name, title = "difficulty", "difficulty window"
    summary = "EL2N difficulty, a window placed by the budget: easy images at IPC 1, harder ones as IPC grows"

    def order(self, cand, ipc, rng):
        ranked = np.argsort(cand.el2n(), kind="stable")
        n = len(ranked)
        width = min(n, max(ipc, n // 10))
        start = min(n - width, int(0.5 * np.log(ipc) / np.log(max(n, 2)) * n))
        return ranked[start + ((np.arange(ipc) + 0.5) * width / ipc).astype(int)]


class CCS(Rule):
    """Coverage-centric coreset selection (Zheng et al., ICLR 2023): drop the hardest `beta` of the candidates by EL2N
    (at high pruning rates the hardest images are the noisiest), cut the rest's score range into `strata` bins of
    equal width, and share the budget across the bins, the emptiest first, each taking at most an even share of what
    is left; within a bin, a seeded random draw. The paper tunes beta per pruning rate; 0.1 here is a choice, not a
    measured one."""

    name, title = "ccs", "CCS (coverage-centric)"
    summary = (
        "coverage-centric coreset selection (Zheng et al. 2023): prune the hardest tenth by EL2N, then sample "
        "evenly across the score range"
    )
    beta = 0.1
    strata = 50

    def order(self, cand, ipc, rng):
        el2n = cand.el2n()
        kept = np.argsort(el2n, kind="stable")[: max(ipc, round(len(el2n) * (1 - self.beta)))]
        edges = np.linspace(el2n[kept].min(), el2n[kept].max(), self.strata + 1)[1:-1]
        bins = [b for b in (kept[np.digitize(el2n[kept], edges) == i] for i in range(self.strata)) if len(b)]
        chosen, budget = [], ipc
        for i, members in enumerate(sorted(bins, key=len)):
            take = min(len(members), budget // (len(bins) - i))
            chosen += rng.choice(members, take, replace=False).tolist()
            budget -= take
        rest = np.setdiff1d(kept, chosen)  # bins too small for their share leave a remainder: drawn from the rest
        return np.asarray(chosen + rng.choice(rest, budget, replace=False).tolist())


def _as_picked(split: Split, chosen: np.ndarray) -> Picked:
    return Picked(split.load(chosen), tuple((int(i),) for i in chosen))
