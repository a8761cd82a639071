"""Supervised classifier training and top-1 evaluation on a dataset split (zoo teachers, baselines)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .data import Dataset, DatasetInfo, Split
from .events import TrainEpoch


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 4
    batch_size: int = 128
    optimizer: str = "sgd"  # "sgd" (nesterov, momentum 0.9) or "adamw"
    lr: float = 0.1  # peak of a one-cycle schedule
    weight_decay: float = 5e-4
    shift: int = 2  # random translation in pixels (zero fill)
    flip: bool = True
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def random_shift_flip(x: torch.Tensor, shift: int, flip: bool, gen: torch.Generator) -> torch.Tensor:
    """Per-image random translation (zero padded) and horizontal flip."""
    n, _, h, w = x.shape
    if shift:
        padded = F.pad(x, (shift,) * 4)
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=gen)
        rows = (dy[:, None] + torch.arange(h))[:, :, None]
        cols = (dx[:, None] + torch.arange(w))[:, None, :]
        x = padded[torch.arange(n)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)
    if flip:
        mask = torch.rand(n, generator=gen) < 0.5
        x = torch.where(mask[:, None, None, None], x.flip(-1), x)
    return x.contiguous()


def _optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=cfg.lr, momentum=0.9, nesterov=True, weight_decay=cfg.weight_decay
        )
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r}; use 'sgd' or 'adamw'")


def train_classifier(
    model: nn.Module, dataset: Dataset, cfg: TrainConfig, device: str = "cpu", desc: str = "train"
) -> Iterator[TrainEpoch]:
    """Train on the full train split; yields one event per epoch with the test top-1."""
    info = dataset.info
    train, test = dataset.split("train"), dataset.split("test")
    gen = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    opt = _optimizer(model, cfg)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    model.to(device)
    for epoch in range(cfg.epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen).numpy()
        total, seen = 0.0, 0
        bar = tqdm(range(steps_per_epoch), desc=f"{desc} epoch {epoch + 1}/{cfg.epochs}", leave=False)
        for step in bar:
            idx = order[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            if len(idx) < 2:  # BN needs more than one sample
                continue
            x = random_shift_flip(train.load(idx), cfg.shift, cfg.flip, gen)
            y = torch.as_tensor(train.labels[idx], device=device)
            loss = F.cross_entropy(model(info.normalize(x).to(device)), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            if step % 20 == 0:
                bar.set_postfix(loss=f"{total / seen:.3f}")
        yield TrainEpoch(epoch + 1, total / max(seen, 1), top1(model, test, info, device=device))


@torch.no_grad()
def predict(
    model: nn.Module, images01: torch.Tensor, info: DatasetInfo, device: str = "cpu", batch_size: int = 500
) -> torch.Tensor:
    model.eval().to(device)
    out = [
        model(info.normalize(images01[i : i + batch_size]).to(device)).argmax(1).cpu()
        for i in range(0, len(images01), batch_size)
    ]
    return torch.cat(out)


@torch.no_grad()
def top1(
    model: nn.Module,
    split: Split,
    info: DatasetInfo,
    indices: Sequence[int] | None = None,
    device: str = "cpu",
    batch_size: int = 500,
) -> float:
    """Top-1 accuracy in percent on a split (or the given subset of it)."""
    indices = np.arange(len(split)) if indices is None else np.asarray(indices)
    correct = 0
    for i in range(0, len(indices), batch_size):
        idx = indices[i : i + batch_size]
        pred = predict(model, split.load(idx), info, device, batch_size)
        correct += int((pred.numpy() == split.labels[idx]).sum())
    return 100.0 * correct / len(indices)
