"""What the metrics measure, as typed records; each reads and writes the layout metrics.json has always had, so the
stored files of every run (the shipped examples' too) stay valid."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


def _by_class(d: dict[str, Any], cast=float) -> dict[int, Any]:
    return {int(c): cast(v) for c, v in d.items()}


def _json_by_class(d: dict[int, Any], to=lambda v: v) -> dict[str, Any]:
    return {str(c): to(v) for c, v in d.items()}


@dataclass(frozen=True)
class Summary:
    """Mean and spread over classes (NaN where no class has a value)."""

    mean: float
    std: float


@dataclass(frozen=True)
class Fidelity:
    """How close an image set sits to real images of its class (Naeem et al. 2020's PRDC, k = 5) and the cosine to
    its nearest real image."""

    precision: float
    recall: float
    density: float
    coverage: float
    nearest_real_cosine: float


@dataclass(frozen=True)
class Diversity:
    """Vendi score per class (the effective number of distinct images) and its mean, and the share of pairs closer
    than the near-duplicate threshold."""

    vendi: float
    vendi_per_class: dict[int, float]
    near_duplicate_rate: float
    near_duplicate_cosine: float  # the threshold

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Diversity:
        return cls(d["vendi"], _by_class(d["vendi_per_class"]), d["near_duplicate_rate"], d["near_duplicate_cosine"])

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "vendi_per_class": _json_by_class(self.vendi_per_class)}


@dataclass(frozen=True)
class ImageMetrics:
    """Diversity and fidelity of one image set, in one extractor's features, against fixed real test images."""

    intra_class_cosine: dict[int, float]  # mean pairwise cosine within each class
    intra_class_cosine_summary: Summary
    diversity: Diversity
    real_intra_class_cosine_summary: Summary  # of the real reference images themselves
    fidelity: dict[int, Fidelity]
    fidelity_mean: Fidelity
    real_reference: str  # which real images

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ImageMetrics:
        return cls(
            _by_class(d["intra_class_cosine"]),
            Summary(**d["intra_class_cosine_summary"]),
            Diversity.from_json(d),
            Summary(**d["real_intra_class_cosine_summary"]),
            _by_class(d["fidelity"], lambda v: Fidelity(**v)),
            Fidelity(**d["fidelity_mean"]),
            d["real_reference"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "real_reference": self.real_reference,
            "intra_class_cosine": _json_by_class(self.intra_class_cosine),
            "intra_class_cosine_summary": asdict(self.intra_class_cosine_summary),
            **self.diversity.to_json(),
            "real_intra_class_cosine_summary": asdict(self.real_intra_class_cosine_summary),
            "fidelity": _json_by_class(self.fidelity, asdict),
            "fidelity_mean": asdict(self.fidelity_mean),
        }


@dataclass(frozen=True)
class RandomReal:
    """The reference a run's diversity is read against: a random real training subset of its classes and IPC."""

    ipc: int
    intra_class_cosine_summary: Summary
    diversity: Diversity

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RandomReal:
        return cls(d["ipc"], Summary(**d["intra_class_cosine_summary"]), Diversity.from_json(d))

    def to_json(self) -> dict[str, Any]:
        summary = asdict(self.intra_class_cosine_summary)
        return {"ipc": self.ipc, "intra_class_cosine_summary": summary, **self.diversity.to_json()}


@dataclass(frozen=True)
class RunMetrics:
    """A run's metrics.json: its images' metrics, the random real reference, and how far its images sit from each
    zoo teacher's BN statistics; `key` says what they were computed from (contents, extractor, version)."""

    key: str
    extractor: str
    extractor_sha256: str
    images: ImageMetrics
    random_real: RandomReal
    bn_mismatch: dict[str, list[float]]  # teacher -> per BN layer
    teachers_in_run: tuple[str, ...]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RunMetrics:
        return cls(
            d["key"],
            d["extractor"],
            d["extractor_sha256"],
            ImageMetrics.from_json(d),
            RandomReal.from_json(d["random_real"]),
            d["bn_mismatch"],
            tuple(d["teachers_in_run"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "extractor": self.extractor,
            "extractor_sha256": self.extractor_sha256,
            **self.images.to_json(),
            "random_real": self.random_real.to_json(),
            "bn_mismatch": self.bn_mismatch,
            "bn_mismatch_total": {n: float(sum(v)) for n, v in self.bn_mismatch.items()},
            "teachers_in_run": list(self.teachers_in_run),
        }
