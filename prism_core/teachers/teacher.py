"""A ready-to-use, frozen teacher: network + weights + the input adaptation it needs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from ..data import DatasetInfo
from .manifest import ZOO_DIR
from .registry import TeacherError, TeacherSpec, bn_layers, build_network, get_spec
from .weights import load_state_dict, non_finite, pretrained_weights, sha256_file, zoo_dir_of, zoo_weights


class InputAdapter(nn.Module):
    """Maps images in the dataset's normalised space to what the network was trained on.

    Synthesis keeps one pixel tensor for all teachers, so each teacher repeats grayscale to 3 channels
    where its network needs it and re-normalises (an identity for the zoo, trained on the dataset's
    own statistics; ImageNet statistics for hub weights).
    """

    def __init__(self, net: nn.Module, data: DatasetInfo, mean: tuple[float, ...], std: tuple[float, ...], repeat: int):
        super().__init__()
        self.net, self.repeat = net, repeat
        n = len(mean)
        dm = torch.tensor(data.mean * (n // len(data.mean)))
        ds = torch.tensor(data.std * (n // len(data.std)))
        tm, ts = torch.tensor(mean), torch.tensor(std)
        scale, shift = ds / ts, (dm - tm) / ts
        self.identity = bool(
            torch.allclose(scale, torch.ones_like(scale)) and torch.allclose(shift, torch.zeros_like(shift))
        )
        self.register_buffer("scale", scale.view(1, -1, 1, 1), persistent=False)
        self.register_buffer("shift", shift.view(1, -1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.repeat > 1:
            x = x.expand(-1, self.repeat, -1, -1)
        if not self.identity:
            x = x * self.scale + self.shift
        return self.net(x)


@dataclass
class Teacher:
    name: str
    spec: TeacherSpec
    model: InputAdapter
    weights: str  # "zoo", "pretrained", "random" or a checkpoint path
    weights_sha256: str

    @property
    def bn_layers(self) -> list[nn.Module]:
        return bn_layers(self.model.net)

    def identity(self) -> dict[str, str]:
        """What a run records about this teacher so that its images can be traced to exact weights."""
        return {"name": self.name, "weights": self.weights, "sha256": self.weights_sha256}


def _tensor_digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for k in sorted(state):
        h.update(k.encode())
        h.update(state[k].detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def create_teacher(
    name: str, info: DatasetInfo, weights: str = "zoo", zoo_dir: Path = ZOO_DIR, device: str | torch.device = "cpu"
) -> Teacher:
    """Build `name` for a dataset, load its weights and freeze it (eval mode, no weight gradients).

    weights: "zoo" (the zoo in `zoo_dir`, by default the shipped one; sha256-checked), "zoo:/path" (the zoo in that
    folder), "pretrained" (timm/torchvision hub, only when asked), "random" (tests, benchmarks) or a path to a
    checkpoint file.
    """
    spec = get_spec(name)
    mean, std, remedy = info.mean, info.std, "use another checkpoint"
    if zoo_dir_of(weights) is not None:
        state, entry = zoo_weights(name, zoo_dir if weights == "zoo" else zoo_dir_of(weights))
        if entry.dataset != info.name:
            raise TeacherError(f"zoo teacher {name!r} was trained on {entry.dataset}, not {info.name}")
        mean, std, digest, remedy = (
            entry.input.mean,
            entry.input.std,
            entry.sha256,
            f"retrain it: {entry.train_command}",
        )
    elif weights == "pretrained":
        state = pretrained_weights(spec)
        mean, std, digest = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), _tensor_digest(state)
    elif weights == "random":
        state, digest = None, "random"
    else:
        path = Path(weights)
        state, digest = load_state_dict(path), sha256_file(path) if path.is_file() else ""
    with torch.random.fork_rng():
        torch.manual_seed(0)  # "random" weights are the same in every process, so runs with them are reproducible
        net = build_network(spec, info.num_classes, info.channels)
    if state is not None:
        state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        bad = non_finite(state)
        if bad:
            raise TeacherError(
                f"{name} ({weights}): {', '.join(bad[:3])}{' and others' if len(bad) > 3 else ''} hold(s) inf or NaN, "
                f"so every loss through this teacher would be non-finite; {remedy}"
            )
        heads = [f"{n}.weight" for n, m in net.named_modules() if isinstance(m, nn.Linear)]
        head_key = heads[-1] if heads else None  # the classifier: its rows are the classes
        if head_key in state and state[head_key].shape[0] != info.num_classes:
            raise TeacherError(
                f"{name}: these weights classify {state[head_key].shape[0]} classes, but the dataset "
                f"{info.name} has {info.num_classes}; use weights trained on this dataset"
            )
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            first = str(err).splitlines()[1:3]
            raise TeacherError(
                f"{name}: weights do not fit the architecture for {info.num_classes} classes, "
                f"{info.channels} channel(s): {' '.join(s.strip() for s in first)}"
            ) from None
    model_channels = spec.model_channels(info.channels)
    if len(mean) not in (info.channels, model_channels):
        raise TeacherError(f"{name}: its normalisation has {len(mean)} channels; the dataset has {info.channels}")
    model = InputAdapter(net, info, mean, std, repeat=model_channels // info.channels)
    model.eval().requires_grad_(False).to(device)
    return Teacher(name, spec, model, weights, digest)
