"""The method registry: each recipe is one object, and a new one runs through the same loop without edits."""

import pytest

from prism_core.cli import build_parser
from prism_core.events import BatchDone, Step
from prism_core.synthesis import METHODS, ConfigError, SynthConfig, get_method, register, resolve, synthesize
from prism_core.synthesis.methods import PRISM, baseline
from tests.synthesis.test_engine import SMALL


def test_every_method_describes_itself_and_resolves_to_a_complete_config():
    assert set(METHODS) >= {"sre2l", "prism", "gvbsm"}
    for m in METHODS.values():
        assert m.title and m.summary and set(m.options) < {f for f in SynthConfig.__dataclass_fields__}
        for size in (32, 224):
            cfg = resolve(SynthConfig(method=m.name), m, size, 10)
            assert None not in (cfg.lr, cfg.r_bn, cfg.iterations, cfg.init, cfg.bn_pool, cfg.batch_formation)


def test_an_unknown_method_is_refused_with_the_known_names():
    with pytest.raises(ConfigError, match="sre2l, prism, prism-balanced, gvbsm"):
        get_method("prsim")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["synth", "--method", "prsim", "--out", "x"])


def test_baseline_keeps_what_makes_the_comparison_fair():
    cfg = SynthConfig(
        method="prism", primary="resnet18", init="noise", seed=3, ipc=4, classes=(1, 2), lr=0.5, r_bn=0.1, iterations=50
    )
    base = resolve(baseline(cfg), get_method("sre2l"), 32, 10)
    assert (
        base.method,
        base.primary,
        base.init,
        base.seed,
        base.ipc,
        base.classes,
        base.lr,
        base.r_bn,
        base.iterations,
    ) == ("sre2l", "resnet18", "noise", 3, 4, (1, 2), 0.5, 0.1, 50)
    assert base.bn_pool == () and base.batch_formation == "cross-class"
    assert baseline(base) is None


class PrimaryLastPRISM(PRISM):
    """A variant: PRISM whose statistics come from the pool alone during the second half of each batch."""

    name, title, summary = "prism-late-pool", "PRISM (pool late)", "the primary's statistics drop out halfway"

    def schedule(self, cfg, spec):
        sets = [list(s) for s in spec.bn_sets]
        pool_only = [[n for n in s if n != cfg.primary] or s for s in sets]
        return lambda step: (cfg.primary, sets if step < spec.iterations // 2 else pool_only)


def test_a_registered_method_runs_through_the_same_loop_and_reaches_the_cli():
    register(PrimaryLastPRISM())
    try:
        assert (
            "prism-late-pool"
            in build_parser().parse_args(["synth", "--method", "prism-late-pool", "--out", "x"]).method
        )
        cfg = SynthConfig(method="prism-late-pool", subset_rule="k", subset_k=3, seed=0, **SMALL)
        events = list(synthesize(cfg))
        steps = [e for e in events if isinstance(e, Step)]
        assert "resnet18" in steps[0].bn_set and "resnet18" not in steps[-1].bn_set
        used = [e.record.bn_sets_used for e in events if isinstance(e, BatchDone)][0][0]
        assert len(used) == 2 and sum(used.values()) == 4  # two sets, two steps each
    finally:
        METHODS.pop("prism-late-pool")
