"""The engine end to end on small configurations (random-weight teachers: fast and independent of the zoo)."""

import numpy as np
import pytest
import torch

from prism_core import data
from prism_core.data import FashionMNIST
from prism_core.events import BatchDone, Cancelled, Preview, Step
from prism_core.synthesis import ConfigError, SynthConfig, SynthesisError, prepare, synthesize
from prism_core.synthesis.run_health import run_status
from prism_core.synthesis.runstore import Run, RunError
from prism_core.teachers import TeacherError

SMALL = dict(
    weights="random",
    ipc=2,
    classes=(0, 1, 2),
    batch_size=3,
    iterations=4,
    log_every=1,
    bn_pool=("mobilenetv2_050", "shufflenet_v2_x0_5", "lcnet_050"),
)


def run_pixels(cfg, run_dir=None, **kw):
    events = list(synthesize(cfg, run_dir, **kw))
    return events, {e.batch: e for e in events if isinstance(e, BatchDone)}


def test_same_seed_gives_identical_images_and_another_seed_differs():
    cfg = SynthConfig(method="prism", seed=3, **SMALL)
    _, a = run_pixels(cfg)
    _, b = run_pixels(cfg)
    _, c = run_pixels(cfg.replace(seed=4))
    assert all(torch.equal(a[i].pixels, b[i].pixels) for i in a)
    assert not torch.equal(a[0].pixels, c[0].pixels)
    assert a[0].record.bn_sets_drawn == b[0].record.bn_sets_drawn


def test_the_data_residual_keeps_the_images_nearer_their_real_start_and_is_recorded(tmp_path):
    """FADRM's residual: every K steps the images are mixed back toward the real images they started from."""
    cfg = SynthConfig(method="prism", init="first", seed=1, lr=0.2, **dict(SMALL, iterations=6))
    start = prepare(cfg).init  # the first real images of each class, the run's start
    x0 = torch.stack([start[c].images01[k] for c in SMALL["classes"] for k in range(SMALL["ipc"])])

    def moved(config, out):
        list(synthesize(config, out))
        from prism_core.metrics import run_images01

        x, _, _ = run_images01(Run(out))
        return float((x - x0).abs().mean())

    plain = moved(cfg, tmp_path / "plain")
    pulled = moved(cfg.replace(residual_every=2, residual_alpha=0.5), tmp_path / "pulled")
    assert pulled < 0.8 * plain  # two pulls halfway back in six steps
    stored = Run(tmp_path / "pulled").config()
    assert (stored.residual_every, stored.residual_alpha) == (2, 0.5)
    assert Run(tmp_path / "plain").config().residual_every == 0  # off by default


def test_multi_resolution_optimises_coarse_pixels_first_and_ends_at_full_size(tmp_path):
    """FADRM's multi-resolution: the first half of the steps moves 16 px pixels (smooth at 32 px), then full size."""
    cfg = SynthConfig(method="sre2l", seed=2, snapshots=3, **dict(SMALL, iterations=4, weights="random"))
    coarse = cfg.replace(multires_size=16, multires_fraction=0.5)
    _, a = run_pixels(coarse, tmp_path / "coarse")
    _, b = run_pixels(coarse)
    _, plain = run_pixels(cfg)
    assert a[0].pixels.shape == plain[0].pixels.shape == (3, 1, 32, 32)  # back at the images' size
    assert a[0].frames.shape[-2:] == (32, 32)  # the trajectory is shown at full size throughout
    assert torch.equal(a[0].pixels, b[0].pixels) and not torch.equal(a[0].pixels, plain[0].pixels)
    assert Run(tmp_path / "coarse").config().multires_size == 16
    with pytest.raises(ConfigError, match="between 8 px and the image size"):
        list(synthesize(cfg.replace(multires_size=32), tmp_path / "no"))


def test_pre_keeps_the_bn_set_fixed_and_intra_redraws_it():
    _, pre = run_pixels(SynthConfig(method="prism", selection="pre", seed=0, **dict(SMALL, iterations=12)))
    for e in pre.values():
        assert [list(u) for u in e.record.bn_sets_used] == [[s] for s in e.record.bn_sets_drawn]
    _, intra = run_pixels(
        SynthConfig(method="prism", selection="intra", reselect_every=1, seed=0, **dict(SMALL, iterations=12))
    )
    assert all(len(u) > 1 for e in intra.values() for u in e.record.bn_sets_used)
    assert all(sum(u.values()) == 12 for e in intra.values() for u in e.record.bn_sets_used)


def test_step_events_report_every_term_per_teacher():
    events, _ = run_pixels(SynthConfig(method="prism", seed=0, preview_every=2, **SMALL))
    steps = [e for e in events if isinstance(e, Step)]
    assert {"ce", "bn", "total"} <= set(steps[0].losses)
    assert {f"stats/{t}" for t in steps[0].bn_set} <= set(steps[0].losses)
    assert steps[-1].eta_s >= 0 and steps[-1].img_per_s > 0
    previews = [e for e in events if isinstance(e, Preview)]
    assert previews and previews[0].images.dtype == torch.uint8 and previews[0].images.shape[1:] == (1, 32, 32)


@pytest.mark.parametrize("method", ["sre2l", "gvbsm", "prism-balanced"])
def test_other_recipes_run(method, tmp_path, monkeypatch):
    monkeypatch.setenv("PRISM_CACHE_DIR", str(tmp_path))
    cfg = SynthConfig(
        method=method,
        weights="random",
        ipc=2,
        classes=(0, 1),
        iterations=3,
        stats_images=64,
        log_every=1,
        bn_pool=("resnet18", "lcnet_050") if method == "gvbsm" else None,
    )
    events, batches = run_pixels(cfg)
    assert batches
    steps = [e for e in events if isinstance(e, Step)]
    if method == "gvbsm":
        assert [s.ce_teacher for s in steps[:3]] == ["resnet18", "lcnet_050", "resnet18"]  # round-robin
        assert "dd" in steps[0].losses


def test_no_hook_stays_on_a_teacher_after_a_run():
    p = prepare(SynthConfig(method="prism", seed=0, **SMALL))
    list(synthesize(p))
    for t in p.teachers.values():
        assert all(not m._forward_hooks for m in t.model.modules())


def test_run_store_layout_resume_and_refusal(tmp_path):
    import torchvision

    cfg = SynthConfig(method="prism", seed=1, **SMALL)
    _, ref = run_pixels(cfg)

    def stop():
        return bool(list((tmp_path / "r" / "batches").glob("*.json")))

    events, _ = run_pixels(cfg, tmp_path / "r", stop=stop)
    run = Run(tmp_path / "r")
    assert isinstance(events[-1], Cancelled) and run_status(run).state == "cancelled"
    assert len(run.finished()) == 1
    events, _ = run_pixels(cfg, tmp_path / "r")  # same command again: continues after the finished batch
    assert events[0].already_done == 1 and run_status(run).state == "finished"
    x, classes, ks = run.pixels()
    expected = torch.cat([ref[i].pixels for i in sorted(ref)])
    assert torch.equal(torch.sort(x.flatten(1), 0)[0], torch.sort(expected.flatten(1), 0)[0])
    folder = torchvision.datasets.ImageFolder(str(tmp_path / "r" / "images"))
    assert len(folder) == 6 and folder.classes[0].startswith("000_")
    assert run.config() == prepare(cfg).config  # config.json round-trips to the resolved configuration
    with pytest.raises(RunError, match="different configuration"):
        list(synthesize(cfg.replace(seed=2), tmp_path / "r"))
    events, _ = run_pixels(cfg.replace(seed=2), tmp_path / "r", overwrite=True)
    assert Run(tmp_path / "r").config().seed == 2


@pytest.mark.parametrize(
    "changes, match",
    [
        (dict(primary="resnet19"), "unknown architecture"),
        (dict(bn_pool=("convnext_atto",)), "no BatchNorm"),
        (dict(ipc=0), "ipc must be a positive"),
        (dict(ipc=5000), "beyond the limit"),
        (dict(iterations=0), "iterations must be"),
        (dict(classes=()), "class list is empty"),
        (dict(classes=(3, 12)), "outside 0..9"),
        (dict(lr=float("nan")), "lr must be a finite"),
        (dict(graph="step"), "add --compile default"),
        (dict(init="noise", residual_every=2), "give a real-image init"),
        (dict(residual_every=2, residual_alpha=0.0), "residual_alpha must be in"),
    ],
)
@pytest.mark.faults
def test_bad_input_is_refused_before_anything_is_written(changes, match, tmp_path):
    with pytest.raises((ConfigError, TeacherError), match=match):
        list(synthesize(SynthConfig(method="prism", **dict(SMALL, **changes)), tmp_path / "run"))
    assert not (tmp_path / "run").exists()


@pytest.mark.faults
def test_teacher_with_another_class_count_is_refused(tmp_path):
    from prism_core.teachers.registry import build_network, get_spec

    torch.save(build_network(get_spec("resnet18"), 100, 1).state_dict(), tmp_path / "r18.pt")
    with pytest.raises(TeacherError, match="classify 100 classes, but the dataset fashion_mnist has 10"):
        list(synthesize(SynthConfig(method="sre2l", **dict(SMALL, weights=str(tmp_path / "r18.pt"))), tmp_path / "run"))
    assert not (tmp_path / "run").exists()


@pytest.mark.faults
def test_ipc_beyond_the_real_images_is_refused(tiny_idx_dir, monkeypatch, tmp_path):
    monkeypatch.setitem(data._CACHE, "fashion_mnist@None", FashionMNIST(tiny_idx_dir))
    with pytest.raises(ConfigError, match="real-image init needs 4"):
        list(synthesize(SynthConfig(method="prism", init="real", **dict(SMALL, ipc=4)), tmp_path / "run"))
    assert not (tmp_path / "run").exists()


@pytest.mark.faults
def test_non_finite_loss_stops_the_batch_and_keeps_finished_ones(tmp_path):
    cfg = SynthConfig(method="sre2l", r_bn=1e39, **SMALL)
    with pytest.raises(SynthesisError, match=r"non-finite at step 0 \(terms: .*bn"):
        list(synthesize(cfg, tmp_path / "run"))
    status = run_status(Run(tmp_path / "run"))
    assert status.state == "failed" and "non-finite" in status.error


@pytest.mark.faults
def test_a_failing_write_stops_with_a_clear_message_and_keeps_finished_batches(tmp_path, monkeypatch):
    import errno

    from prism_core.synthesis import runstore

    real_save = runstore.save_file
    calls = {"n": 0}

    def full_disk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(runstore, "save_file", full_disk)
    with pytest.raises(SynthesisError, match="No space left on device.*finished batches are kept"):
        list(synthesize(SynthConfig(method="prism", seed=0, **SMALL), tmp_path / "run"))
    run = Run(tmp_path / "run")
    assert list(run.finished()) == [0] and run_status(run).state == "failed"
    assert "No space left" in run_status(run).error


@pytest.mark.parametrize("selection", ["pre", "intra"])
def test_packing_groups_into_one_batch_gives_the_images_of_separate_batches(selection):
    cfg = SynthConfig(method="prism", selection=selection, seed=5, **dict(SMALL, iterations=6))
    _, packed = run_pixels(cfg.replace(batch_size=100))
    _, separate = run_pixels(cfg)
    assert len(packed) == 1 and len(separate) == 2
    order = np.lexsort((packed[0].record.classes, packed[0].record.ipc_indices))
    alone = torch.cat([separate[i].pixels for i in sorted(separate)])
    # the same groups in a larger batch: other kernels reduce in another order (measured after 6 steps, max / mean
    # abs difference: 2.4e-7 / 6.9e-9 on AVX-512, 2.6e-4 / 5.7e-8 on AVX2, 1.2e-6 / 6.9e-9 on scalar ATen); a group
    # given another group's statistics or BN set moves pixels by 1e-2 and more (a grey level is 1.1e-2 here)
    diff = (packed[0].pixels[order] - alone).abs()
    assert diff.max() < 1e-3 and diff.mean() < 1e-6, (diff.max(), diff.mean())
    assert packed[0].record.bn_sets_used == sum((separate[i].record.bn_sets_used for i in sorted(separate)), ())


def test_bf16_channels_last_losses_agree_with_fp32_eager():
    """The GPU fast path's numerics, checked on the CPU: same batch, same augmentation, first step's losses."""

    def first_step(cfg):
        return next(e for e in synthesize(cfg) if isinstance(e, Step)).losses

    base = SynthConfig(method="prism", seed=1, **dict(SMALL, weights="zoo", iterations=1))
    ref, lean = first_step(base), first_step(base.replace(precision="bf16", channels_last=True))
    assert set(lean) == set(ref)
    for term in ref:
        assert lean[term] == pytest.approx(ref[term], rel=0.03), term


def test_pack_forwards_several_reference_batches_at_once_with_the_same_images():
    """pack=2 puts two reference batches (3 classes each) in one forward: exactly the packing a small-class
    dataset gets from a large batch_size, and the separate batches' images up to float noise (which Adam's
    sign-like first steps can lift to ~1e-3 on near-zero gradients)."""
    cfg = SynthConfig(method="prism", selection="pre", seed=7, **dict(SMALL, iterations=6))
    _, separate = run_pixels(cfg)
    _, packed = run_pixels(cfg.replace(pack=2))
    _, by_batch_size = run_pixels(cfg.replace(batch_size=6))
    assert (
        len(separate) == 2
        and len(packed) == 1
        and packed[0].record.seeds == separate[0].record.seeds + separate[1].record.seeds
    )
    assert torch.equal(packed[0].pixels, by_batch_size[0].pixels)
    alone = torch.cat([separate[i].pixels for i in sorted(separate)])
    assert torch.allclose(packed[0].pixels, alone, atol=5e-3)
