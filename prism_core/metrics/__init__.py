"""Diversity, fidelity and architectural-prior metrics, and UMAP embeddings of runs."""

from ..features import extract_features
from .diversity import cosine_matrix, intra_class_cosine, mean_offdiag, near_duplicate_rate, summarize, vendi
from .embedding import embed_runs, embed_sets, umap_2d, warm_up
from .fidelity import per_class_fidelity, prdc
from .prior_fit import bn_mismatch
from .records import Diversity, Fidelity, ImageMetrics, RandomReal, RunMetrics, Summary
from .run_metrics import compute_metrics, default_extractor, image_metrics, real_reference, run_images01

__all__ = [
    "cosine_matrix",
    "intra_class_cosine",
    "mean_offdiag",
    "near_duplicate_rate",
    "summarize",
    "vendi",
    "embed_runs",
    "embed_sets",
    "umap_2d",
    "warm_up",
    "extract_features",
    "per_class_fidelity",
    "prdc",
    "bn_mismatch",
    "Diversity",
    "Fidelity",
    "ImageMetrics",
    "RandomReal",
    "RunMetrics",
    "Summary",
    "compute_metrics",
    "default_extractor",
    "image_metrics",
    "real_reference",
    "run_images01",
]
