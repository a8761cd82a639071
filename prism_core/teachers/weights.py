"""Where a teacher's weights come from: the shipped zoo, a user checkpoint, or hub-pretrained.

Loading never unpickles arbitrary objects: safetensors, or torch files with `weights_only=True`.
Zoo files are checked against the sha256 in the manifest before use.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
from pathlib import Path

import torch
from huggingface_hub import try_to_load_from_cache
from safetensors import SafetensorError
from safetensors.torch import load_file

from .manifest import ZOO_DIR, ZooEntry, read_manifest
from .registry import TeacherError, TeacherSpec, get_spec


def zoo_dir_of(weights: str) -> Path | None:
    """The zoo folder that `weights` names: "zoo" the shipped one, "zoo:/path" that folder; None for anything else
    (pretrained, random, a checkpoint file)."""
    if weights == "zoo":
        return ZOO_DIR
    if weights.startswith("zoo:"):
        return Path(weights[len("zoo:") :])
    return None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def non_finite(state: dict[str, torch.Tensor]) -> list[str]:
    """The names of floating-point tensors holding inf or NaN (a diverged training, or an fp16 overflow)."""
    return [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read a checkpoint safely; a pickle payload or a corrupt file is refused with a clear message."""
    path = Path(path)
    if not path.is_file():
        raise TeacherError(f"checkpoint {path} does not exist")
    if path.suffix == ".safetensors":
        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as err:
            raise TeacherError(f"{path}: corrupt safetensors file ({err})") from None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise TeacherError(
            f"{path}: refused to load: the file holds pickled Python objects beyond plain tensors, which could run "
            f"code. Re-save it as a state_dict (or safetensors). Detail: {str(err).splitlines()[0]}"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise TeacherError(f"{path}: not a readable torch checkpoint ({str(err).splitlines()[0]})") from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise TeacherError(f"{path}: expected a state_dict (name -> tensor)")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def zoo_weights(name: str, zoo_dir: Path = ZOO_DIR) -> tuple[dict[str, torch.Tensor], ZooEntry]:
    entry = read_manifest(zoo_dir).teachers.get(name)
    if entry is None:
        raise TeacherError(
            f"teacher {name!r} is not in the zoo at {zoo_dir}; `python -m prism_core teachers list` shows it"
        )
    path = Path(zoo_dir) / entry.file
    if not path.is_file():
        raise TeacherError(f"{path} is missing; restore it from git or retrain with: {entry.train_command}")
    digest = sha256_file(path)
    if digest != entry.sha256:
        raise TeacherError(
            f"{path}: sha256 {digest[:12]}... does not match the manifest ({entry.sha256[:12]}...); "
            "the file was altered or corrupted: restore it from git or retrain"
        )
    return load_state_dict(path), entry


def _network_reachable(host: str, timeout: float = 2.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def pretrained_hint(spec: TeacherSpec) -> str:
    """How to provide a teacher's ImageNet weights on a machine that cannot download them."""
    return (
        f"Provide them with `--checkpoint {spec.name}=FILE` (safetensors or a state_dict; `--weights FILE` when "
        "one file serves every teacher; `checkpoints` in a workspace), or fill the cache on a machine with network "
        f"access ({'HF_HOME / ~/.cache/huggingface' if spec.source == 'timm' else 'TORCH_HOME / ~/.cache/torch'}) "
        "and copy it here."
    )


def _timm_repo(spec: TeacherSpec) -> str | None:
    """The Hugging Face repo of a timm teacher's pretrained weights, or None when timm has none."""
    import timm  # deferred: timm (and torchvision) take seconds to import

    cfg = timm.models.get_pretrained_cfg(spec.constructor)
    return getattr(cfg, "hf_hub_id", None) if cfg else None


def _torchvision_file(spec: TeacherSpec):
    """A torchvision teacher's default weights and the file they are cached in."""
    import torchvision  # deferred: timm (and torchvision) take seconds to import

    weights = torchvision.models.get_model_weights(spec.constructor).DEFAULT
    return weights, Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name


def cached_pretrained(spec: TeacherSpec) -> Path | None:
    """The file of a teacher's ImageNet weights in the local timm/torchvision cache, or None (nothing is fetched)."""
    if spec.source == "timm":
        repo = _timm_repo(spec)
        if not repo:
            return None
        for fname in ("model.safetensors", "pytorch_model.bin"):
            cached = try_to_load_from_cache(repo, fname)
            if isinstance(cached, str):
                return Path(cached)
        return None
    cached = _torchvision_file(spec)[1]
    return cached if cached.is_file() else None


def without_weights(names: tuple[str, ...], checkpoints: tuple[str, ...]) -> list[str]:
    """Those of `names` whose ImageNet weights are neither cached here nor given as a checkpoint."""
    return [n for n in names if n not in checkpoints and cached_pretrained(get_spec(n)) is None]


def pretrained_weights(spec: TeacherSpec) -> dict[str, torch.Tensor]:
    """ImageNet weights from the local timm/torchvision cache, or a download only when one is possible.

    Fails within seconds offline (HF_HUB_OFFLINE=1 or no route), instead of hub retries that stall for a minute.
    """
    cached = cached_pretrained(spec)
    if cached is not None:
        return load_state_dict(cached)
    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")
    if spec.source == "timm":
        import timm  # deferred: timm (and torchvision) take seconds to import

        repo = _timm_repo(spec)
        if not repo:
            raise TeacherError(
                f"{spec.name}: timm has no pretrained weights for {spec.constructor}. {pretrained_hint(spec)}"
            )
        if offline or not _network_reachable("huggingface.co"):
            raise TeacherError(
                f"{spec.name}: pretrained weights ({repo}) are not cached and the hub is unreachable. "
                f"{pretrained_hint(spec)}"
            )
        return timm.create_model(spec.constructor, pretrained=True).state_dict()
    import torchvision  # deferred: timm (and torchvision) take seconds to import

    weights, file = _torchvision_file(spec)
    if offline or not _network_reachable("download.pytorch.org"):
        raise TeacherError(
            f"{spec.name}: torchvision weights {weights} are not cached at {file} and the network is "
            f"unreachable. {pretrained_hint(spec)}"
        )
    return torchvision.models.get_model(spec.constructor, weights=weights).state_dict()
