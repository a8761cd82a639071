"""The compiled path (`compile="default"`): the same numbers as eager, compiled once per teacher and shape.

Tolerance, stated: a compiled teacher forward gives the eager logits, statistics loss and input gradient within
rtol 1e-4 (atol 1e-5) (inductor fuses and reorders float sums); a compiled run's first-step losses equal eager's
within 1e-5 relative. Later steps drift by float noise that Adam's sign-like first steps amplify where a pixel's
gradient is near zero, so whole runs are compared by PNG grey levels, not bits.
"""
import pytest
import torch
from torch._dynamo.utils import counters

from prism_core.images import to_uint8
from prism_core.synthesis import SynthConfig, synthesize
from prism_core.synthesis.compiled import teacher_forward
from prism_core.synthesis.hooks import StatHook, TeacherStats, attached, bn_hooks
from prism_core.events import BatchDone, Step

from .test_hooks_objectives import tiny_model

pytestmark = pytest.mark.integration


def _gvbsm_hooks(m):
    torch.manual_seed(3)
    convs = [m[0], m[3]]
    return [StatHook(c, [torch.rand(c.in_channels), torch.rand(c.in_channels) + 0.5, torch.rand(1), torch.rand(1) + 0.5],
                     patches=True, ema_alpha=0.4, multiplier=10.0 if i == 0 else 1.0) for i, c in enumerate(convs)]


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


def _run(cfg):
    events = list(synthesize(cfg))
    first = next(e for e in events if isinstance(e, Step)).losses
    return first, torch.cat([e.pixels for e in events if isinstance(e, BatchDone)])  # normalised pixels


@pytest.mark.parametrize("method", ["prism", "gvbsm"])
def test_a_compiled_run_compiles_once_and_matches_eager(method, fmnist):
    torch.set_num_threads(2)
    # light teachers (compile time on 2 cores): PRISM's S = {lcnet (primary), regnetx}; G-VBSM's one backbone
    cfg = SynthConfig(method=method, primary="lcnet_050", bn_pool=("regnetx_002",) if method == "prism" else ("lcnet_050",), subset_rule="k", subset_k=2, ipc=4, classes=(0, 4, 9), batch_size=6,
                      iterations=6, log_every=1, seed=1, init="noise", stats_images=64)  # 2 batches
    eager_first, eager_px = _run(cfg)
    counters.clear()
    compiled_first, compiled_px = _run(cfg.replace(compile="default"))
    graphs = counters["stats"]["unique_graphs"]
    assert graphs >= 1 and not counters["graph_break"], dict(counters["graph_break"])
    _run(cfg.replace(compile="default"))  # another run (new teachers, hooks): nothing recompiles
    assert counters["stats"]["unique_graphs"] == graphs
    for term, value in eager_first.items():
        assert compiled_first[term] == pytest.approx(value, rel=1e-5), term
    grey = lambda px: to_uint8(fmnist.info.denormalize(px)).float()  # noqa: E731  (what the PNGs hold)
    off = (grey(eager_px) - grey(compiled_px)).abs()
    assert off.float().mean() < 0.5 and (off > 8).float().mean() < 0.01, (off.float().mean(), off.max())
