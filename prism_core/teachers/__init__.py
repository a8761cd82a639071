"""Teacher registry, weights and the shipped zoo."""

from .cache import TeacherCache
from .manifest import ZOO_DIR, Manifest, ZooEntry, read_manifest
from .registry import (
    TeacherError,
    TeacherSpec,
    bn_layer_count,
    bn_layers,
    build_network,
    get_spec,
    list_teachers,
    register_teacher,
)
from .teacher import InputAdapter, Teacher, create_teacher
from .weights import load_state_dict, sha256_file, zoo_dir_of

__all__ = [
    "TeacherError",
    "TeacherSpec",
    "Teacher",
    "InputAdapter",
    "create_teacher",
    "TeacherCache",
    "register_teacher",
    "get_spec",
    "list_teachers",
    "build_network",
    "bn_layers",
    "bn_layer_count",
    "ZOO_DIR",
    "load_state_dict",
    "read_manifest",
    "Manifest",
    "ZooEntry",
    "sha256_file",
    "zoo_dir_of",
]
