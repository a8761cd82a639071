"""A bounded cache of loaded teachers, so back-to-back jobs on the same teachers load nothing.

Share one cache only among users that never forward the same model at the same time: synthesis hooks
and feature hooks attach to the model while it runs (the job queue's single worker per device is such a
user). Least recently used teachers leave first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import torch

from ..data import DatasetInfo
from .teacher import Teacher, create_teacher


class TeacherCache:
    def __init__(self, max_models: int = 8):
        if max_models < 1:
            raise ValueError("a teacher cache holds at least one model")
        self.max_models = max_models
        self._models: OrderedDict[tuple, Teacher] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._models)

    def get(self, name: str, info: DatasetInfo, weights: str = "zoo", device: str | torch.device = "cpu") -> Teacher:
        """The cached teacher, or `create_teacher(...)`; a checkpoint file changed on disk loads afresh."""
        path = Path(weights)
        stamp = path.stat().st_mtime_ns if weights not in ("zoo", "pretrained", "random") and path.is_file() else None
        key = (name, info.name, info.num_classes, info.channels, weights, stamp, str(torch.device(device)))
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        teacher = create_teacher(name, info, weights=weights, device=device)
        with self._lock:
            self._models[key] = teacher
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return teacher
