"""RDED (Sun et al., CVPR 2024, arXiv 2312.03526): real patches scored by an observer and stitched, no optimisation.

Re-implemented from the paper and the official code's description (LINs-lab/RDED, synthesize/):
- per class, a seeded draw of 300 candidate images ("mipc");
- 5 square RandomResizedCrops per image (area scale 0.08-1), each resized to a 1/factor-side patch;
- each patch scored by the observer's cross-entropy on the true class, the patch zero-padded (in normalised space,
  i.e. the mean colour) to the full size; each image keeps its lowest-loss patch, then the class keeps the
  IPC x factor² lowest-loss patches;
- image i of the class is a factor x factor collage of patches i, i + IPC, i + 2 IPC, ... (row by row).
factor is 2 above 64 px (the official ImageNet-1K scripts) and 1 at 64 px and below (their CIFAR and Tiny ImageNet
scripts): a single best crop per image, zoomed to full size.

RDED's own relabelling differs from this project's evaluation protocol (validation/ and argument.py in the official
code): KL at temperature 20 (with CutMix) to its observer's soft labels, AdamW at 1e-3 under a half-period cosine,
its collages' patches shuffled and crops of scale 1/factor to 1, and it reports the best test accuracy over the last
fifth of training. The benchmark evaluates RDED's images in the common protocol (the same students, soft labels and
budget as every row) so that rows differ only in their images. `evaluate RUN --loss kl --teachers regnetx_002` is
the nearest this project comes to RDED's rule (KL at 20 to the observer); the patch shuffle, its crop scale and its
schedule are not reproduced. Not confirmed: whether resolutions between 64 and 224 px (ImageNette's 128 px
ConvNets) use factor 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..crops import sample_crop
from ..data import Split
from .rules import Picked, Rule, SelectionError, Selector

CROPS_PER_IMAGE = 5
CROP_SCALE = (0.08, 1.0)


def factor_for(image_size: int) -> int:
    return 2 if image_size > 64 else 1


class RDED(Rule):
    name, title = "rded", "RDED"
    summary = (
        "realistic patches: 5 crops of each of 300 images per class scored by the selector as observer, the "
        "best stitched factor x factor (1 at <= 64 px, 2 above); no optimisation"
    )
    candidates = 300

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
            raise SelectionError("RDED needs an observer model to score its patches (the selector)")
        rng, gen = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
        out = {}
        for c in classes:
            idx = self.draw(split, c, ipc, candidates, rng)
            images = split.load(idx)
            size = images.shape[-1]
            factor = factor_for(size)
            need = ipc * factor**2
            if len(idx) < need:
                raise SelectionError(
                    f"RDED at IPC {ipc} stitches {need} patches per class, but class {c} offers "
                    f"{len(idx)} candidates; lower the IPC or raise the candidates"
                )
            patches, losses = self._best_patches(images, c, factor, selector, gen)
            keep = torch.argsort(losses, stable=True)[:need]
            out[c] = Picked(
                stitch(patches[keep], factor, ipc, size),
                tuple(tuple(int(idx[int(keep[i + j * ipc])]) for j in range(factor**2)) for i in range(ipc)),
            )
        return out

    @staticmethod
    def _best_patches(
        images: torch.Tensor, label: int, factor: int, selector: Selector, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each image's lowest-loss crop (as a 1/factor-side patch) and that loss."""
        n, _, size, _ = images.shape
        side = size // factor
        crops = torch.stack([_crop(img, side, gen) for _ in range(CROPS_PER_IMAGE) for img in images])
        logits = selector(_centred(crops, size, selector.info.mean))[1]
        loss = F.cross_entropy(logits, torch.full((len(crops),), label), reduction="none").view(CROPS_PER_IMAGE, n)
        best = loss.argmin(0)
        return crops.view(CROPS_PER_IMAGE, n, *crops.shape[1:])[best, torch.arange(n)], loss[best, torch.arange(n)]


def _crop(image: torch.Tensor, side: int, gen: torch.Generator) -> torch.Tensor:
    top, left, h, w = sample_crop(image.shape[-2], image.shape[-1], CROP_SCALE, (1.0, 1.0), gen)
    return F.interpolate(
        image[None, :, top : top + h, left : left + w],
        size=(side, side),
        mode="bilinear",
        align_corners=False,
        antialias=True,
    )[0]


def _centred(patches: torch.Tensor, size: int, fill: tuple[float, ...]) -> torch.Tensor:
    """Patches in the middle of a full-size canvas of the dataset's mean colour (zero once normalised, as the
    official code pads)."""
    side = patches.shape[-1]
    if side == size:
        return patches
    canvas = torch.tensor(fill, dtype=patches.dtype).view(1, -1, 1, 1).expand(len(patches), -1, size, size).clone()
    at = (size - side) // 2
    canvas[:, :, at : at + side, at : at + side] = patches
    return canvas


def stitch(patches: torch.Tensor, factor: int, ipc: int, size: int) -> torch.Tensor:
    """IPC images of size x size, each a factor x factor grid: image i holds patches i, i + ipc, ... row by row
    (rows and columns one pixel wider where size is not a multiple of factor)."""
    edges = np.cumsum([0] + [size // factor + (1 if r < size % factor else 0) for r in range(factor)])
    out = torch.zeros(ipc, patches.shape[1], size, size)
    for k in range(factor**2):
        r, col = divmod(k, factor)
        h, w = edges[r + 1] - edges[r], edges[col + 1] - edges[col]
        part = patches[k * ipc : (k + 1) * ipc]
        if part.shape[-2:] != (h, w):
            part = F.interpolate(part, size=(h, w), mode="bilinear", align_corners=False)
        out[:, :, edges[r] : edges[r + 1], edges[col] : edges[col + 1]] = part
    return out.clamp(0, 1)
