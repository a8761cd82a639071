"""The compiled path (`compile="default"`): the same numbers as eager, compiled once per teacher and shape, or, with
`graph="step"`, as one graph for the step's loss and one for Adam's update.

Tolerance, stated: a compiled teacher forward gives the eager logits, statistics loss and input gradient within
rtol 1e-4 (atol 1e-5) (inductor fuses and reorders float sums); a compiled run's first-step losses equal eager's
within 1e-5 relative. Later steps drift by float noise that Adam's sign-like first steps amplify where a pixel's
gradient is near zero, so whole runs are compared by PNG grey levels, not bits.
"""

import pytest
import torch
import torch.nn as nn
from timm.layers import BatchNormAct2d
from timm.models import register_model
from torch._dynamo.utils import counters

from prism_core.events import BatchDone, Step
from prism_core.images import to_uint8
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.compiled import teacher_forward
from prism_core.synthesis.hooks import StatHook, TeacherStats, attached, bn_hooks
from prism_core.teachers import registry
from prism_core.teachers.registry import TeacherSpec

from .test_hooks_objectives import tiny_model

pytestmark = pytest.mark.integration


def _gvbsm_hooks(m):
    torch.manual_seed(3)
    convs = [m[0], m[3]]
    return [
        StatHook(
            c,
            [torch.rand(c.in_channels), torch.rand(c.in_channels) + 0.5, torch.rand(1), torch.rand(1) + 0.5],
            patches=True,
            ema_alpha=0.4,
            multiplier=10.0 if i == 0 else 1.0,
        )
        for i, c in enumerate(convs)
    ]


@pytest.mark.parametrize("kind", ["bn", "gvbsm"])
def test_compiled_teacher_forward_returns_the_eager_statistics_and_gradients(kind):
    m = tiny_model()
    x = torch.randn(6, 1, 8, 8)
    results = {}
    for mode in ("off", "default"):
        stats = TeacherStats("tiny", bn_hooks(m, 10.0) if kind == "bn" else _gvbsm_hooks(m))
        outs = []
        with attached([stats]):
            for step in range(3):  # G-VBSM: later steps read the EMA state of earlier ones
                xi = (x + step).requires_grad_(True)
                logits, loss = teacher_forward(mode)(m, stats, xi, 2, True)
                (logits.square().sum() + loss.sum()).backward()
                outs.append((logits.detach(), loss.detach(), xi.grad))
            plain, none = teacher_forward(mode)(m, stats, x, 2, False)  # statistics off: logits only
            assert none is None and torch.allclose(plain, outs[0][0], rtol=1e-4, atol=1e-5)
        results[mode] = outs
    for eager, compiled in zip(results["off"], results["default"]):
        assert eager[1].shape == (2,)  # one statistics loss per packed group
        for e, c in zip(eager, compiled):
            torch.testing.assert_close(c, e, rtol=1e-4, atol=1e-5)


class TinyNet(nn.Sequential):
    """The smallest network that reaches every hook kind: a timm BatchNormAct2d, a plain BatchNorm2d and convs
    (G-VBSM's conv/patch hooks). Inductor compiles a few dozen kernels for it, not hundreds: minutes on a cold
    cache become seconds."""

    def __init__(self, width: int, num_classes: int = 10, in_chans: int = 1, **_):
        super().__init__(
            nn.Conv2d(in_chans, width, 3, stride=2, padding=1),
            BatchNormAct2d(width),
            nn.Conv2d(width, width, 3, stride=2, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(width, num_classes),
        )


@register_model
def prism_test_tiny4(pretrained=False, **kwargs):
    return TinyNet(4, **kwargs)


@register_model
def prism_test_tiny6(pretrained=False, **kwargs):
    return TinyNet(6, **kwargs)


@pytest.fixture(scope="module")
def tiny_teachers():
    """Two tiny architectures in the teacher registry for this module only (random weights)."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("prism_test_tiny4", "prism_test_tiny6"):
            mp.setitem(registry._REGISTRY, name, TeacherSpec(name, "tiny test net", "timm", name))
        yield "prism_test_tiny4", "prism_test_tiny6"


def _run(cfg):
    events = list(synthesize(cfg))
    first = next(e for e in events if isinstance(e, Step)).losses
    return first, torch.cat([e.pixels for e in events if isinstance(e, BatchDone)])  # normalised pixels


TINY = dict(weights="random", ipc=4, classes=(0, 4, 9), batch_size=6, iterations=6, log_every=1, seed=1, init="noise")


def _compiled_against_eager(cfg, compiled, fmnist) -> int:
    """Runs `cfg` eager and `compiled` twice: no graph break, nothing recompiled by the second run (new teachers,
    hooks, pixels and optimiser state), the first-step losses and the PNGs as eager's. Returns the graphs made."""
    torch.set_num_threads(2)
    eager_first, eager_px = _run(cfg)
    counters.clear()
    compiled_first, compiled_px = _run(compiled)
    graphs = counters["stats"]["unique_graphs"]
    assert graphs >= 1 and not counters["graph_break"], dict(counters["graph_break"])
    _run(compiled)
    assert counters["stats"]["unique_graphs"] == graphs
    assert compiled_first.keys() == eager_first.keys()
    for term, value in eager_first.items():
        assert compiled_first[term] == pytest.approx(value, rel=1e-5), term
    grey = lambda px: to_uint8(fmnist.info.denormalize(px)).float()  # noqa: E731  (what the PNGs hold)
    off = (grey(eager_px) - grey(compiled_px)).abs()
    assert off.mean() < 0.5 and (off > 8).float().mean() < 0.01, (off.mean(), off.max())
    return graphs


@pytest.mark.parametrize("method", ["prism", "gvbsm"])
def test_a_compiled_run_compiles_once_and_matches_eager(method, tiny_teachers, fmnist):
    primary, other = tiny_teachers  # PRISM's S = {primary, other}; G-VBSM's one backbone
    pool = (other,) if method == "prism" else (primary,)
    cfg = SynthConfig(
        method=method, primary=primary, bn_pool=pool, subset_rule="k", subset_k=2, stats_images=64, **TINY
    )
    _compiled_against_eager(cfg, cfg.replace(compile="default"), fmnist)


@pytest.mark.parametrize(
    "method, changes",
    [
        ("prism", dict(subset_rule="k", subset_k=2)),  # two groups per forward, two teachers
        ("sre2l", dict(batch_formation="class-grouped")),  # one group (the shape inductor once returned gradless)
    ],
)
def test_the_whole_step_is_two_graphs_without_a_break_and_matches_eager(method, changes, tiny_teachers, fmnist):
    primary, other = tiny_teachers
    cfg = SynthConfig(method=method, primary=primary, bn_pool=(other,) if method == "prism" else (), **changes, **TINY)
    # the loss (with its backward, compiled by AOTAutograd) and Adam's update with the clip (which an earlier test's
    # run of the same pixel shape may have compiled already)
    assert _compiled_against_eager(cfg, cfg.replace(compile="default", graph="step"), fmnist) in (1, 2)
