"""Train a student from scratch on a run's images with online soft labels, and report top-1 on the real
test split (methods.md sections 2.3 and 5.7)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..data import Dataset
from ..events import Epoch, Trained
from ..fields import opt
from ..teachers import create_teacher
from ..training import top1
from .architectures import create_student
from .relabel import MixConfig, SoftLabeler, student_view


@dataclass(frozen=True)
class EvalConfig:
    student: str = opt("resnet18", "any teacher architecture, or convnet (the classic DD ConvNet)")
    teachers: tuple[str, ...] = opt(("resnet18",), "the relabel ensemble (Frobenius-normalised)")
    weights: str = opt("zoo", "the relabel teachers' weights: zoo, zoo:/path, pretrained or a checkpoint")
    epochs: int = opt(300, "student epochs")
    batch_size: int = opt(50, "student batch size")
    lr: float = 1e-3
    weight_decay: float = 0.01
    # "ce": what the images teach without a strong teacher's soft labels (CutMix is then off)
    loss: str = opt(
        "mse_ce",
        "mse_ce: MSE(soft labels) + 0.1 CE (G-VBSM, PRISM); kl: KL at temperature T (SRe2L); "
        "ce: hard labels only, no teacher",
        ("mse_ce", "kl", "ce"),
    )
    temperature: float = 20.0
    schedule: str = "cos"  # "cos" (SRe2L) or "cos2" (PRISM/EDC smoothing, st 2.5)
    mix: MixConfig = MixConfig()
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalConfig:
        """The inverse of `to_dict` (JSON turns the tuples into lists)."""
        mix = MixConfig(**{**d["mix"], "crop_scale": tuple(d["mix"]["crop_scale"])})
        return cls(**{**d, "teachers": tuple(d["teachers"]), "mix": mix})


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    if schedule == "cos":
        return 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    if epoch <= 5 * epochs / 6:  # cos2 as in the PRISM/EDC code, discontinuity included
        return 0.5 * (1 + math.cos(math.pi * epoch / (2.5 * epochs)))
    return 0.75 * (1 - epoch / epochs)


def _param_groups(model: nn.Module, wd: float) -> list[dict]:
    decay, no_decay = [], []
    for p in model.parameters():
        (no_decay if p.ndim <= 1 else decay).append(p)  # no decay on biases and norm layers
    return [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]


def distill_loss(
    cfg: EvalConfig, student_logits: torch.Tensor, soft: torch.Tensor | None, hard: torch.Tensor
) -> torch.Tensor:
    if cfg.loss == "ce":
        return F.cross_entropy(student_logits, hard)
    if cfg.loss == "kl":
        t = cfg.temperature
        return F.kl_div(F.log_softmax(student_logits / t, 1), F.softmax(soft / t, 1), reduction="batchmean")
    return F.mse_loss(student_logits, soft) + 0.1 * F.cross_entropy(student_logits, hard)


def train_student(
    images01: torch.Tensor,
    labels: np.ndarray,
    dataset: Dataset,
    cfg: EvalConfig,
    device: str = "cpu",
    progress: bool = True,
) -> Iterator[Epoch | Trained]:
    """Yields an Epoch per epoch, then Trained with top-1 on the full test split."""
    if len(images01) == 0:
        raise ValueError("no images to train on")
    info = dataset.info
    gen = torch.Generator().manual_seed(cfg.seed)
    student = create_student(cfg.student, info, cfg.seed).to(device)
    hard = cfg.loss == "ce"
    labeler = (
        None
        if hard
        else SoftLabeler([create_teacher(t, info, weights=cfg.weights).model for t in cfg.teachers]).to(device)
    )
    mix = replace(cfg.mix, cutmix_alpha=0.0) if hard else cfg.mix  # a hard label cannot follow a pasted patch
    opt = torch.optim.AdamW(_param_groups(student, cfg.weight_decay), lr=cfg.lr)
    y_all = torch.as_tensor(labels)
    for epoch in tqdm(range(cfg.epochs), desc=f"student {cfg.student}", disable=not progress, leave=False):
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_factor(cfg.schedule, epoch, cfg.epochs)
        order = torch.randperm(len(images01), generator=gen)
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            if len(idx) < 2:
                continue
            view, _ = student_view(images01[idx], mix, gen)
            x = info.normalize(view).to(device)
            soft = labeler(x) if labeler is not None else None
            loss = distill_loss(cfg, student(x), soft, y_all[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        yield Epoch(epoch + 1, total / len(images01), seed=cfg.seed)
    student.eval()
    yield Trained(top1(student, dataset.split("test"), info, device=device), seed=cfg.seed)
