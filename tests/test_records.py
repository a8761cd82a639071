"""Batch records: typed, and the files earlier versions wrote (the shipped example runs) still read."""

import json

import torch

from prism_core.records import BatchRecord
from prism_core.synthesis import SynthConfig
from prism_core.synthesis.runstore import Run, RunRecord, list_runs
from tests.conftest import ROOT


def test_the_shipped_examples_written_by_an_earlier_version_read_as_typed_records():
    for run in list_runs(ROOT / "assets" / "examples"):
        for index, rec in run.finished().items():
            raw = json.loads((run.path / "batches" / f"{index:05d}.json").read_text())
            assert rec.index == index and rec.pairs == list(zip(raw["classes"], raw["ipc_indices"]))
            # BN sets used were stored as {"a+b": steps}; they read as tuples of teacher names
            assert [{"+".join(s): n for s, n in u.items()} for u in rec.bn_sets_used] == raw["bn_sets_used"]
            assert all(sum(u.values()) == rec.iterations for u in rec.bn_sets_used)
            assert BatchRecord.from_json(rec.to_json()) == rec  # and they write back to the same record


def test_a_record_round_trips_through_the_store_with_its_bn_sets_and_sources(tmp_path):
    rec = BatchRecord(
        3,
        (0, 1),
        (2, 2),
        (17,),
        5,
        (("resnet18", "lcnet_050"),),
        ({("resnet18", "lcnet_050"): 3, ("resnet18",): 2},),
        {"total": 1.5},
        ((40, 41), (7, 9)),
        123,
    )
    run = Run(tmp_path / "r")
    run.create(RunRecord(SynthConfig(), ("a", "b")))
    x = torch.rand(2, 1, 4, 4)
    run.write_batch(rec, x, x)
    assert run.finished() == {3: rec}
    assert run.sources() == {(0, 2): (40, 41), (1, 2): (7, 9)} and rec.group_of(1) == 0
