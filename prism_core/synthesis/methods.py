"""One object per method, in a registry that the engine, the CLI and the app read.

The engine runs one loop (loop.py); everything in which SRe2L, PRISM and G-VBSM differ lives here, on
subclasses of `types.Method`: the recipe (a method's default settings, `Method.recipe`), who supplies statistics
and when, the CE teacher at each step, the statistics hooks, the loss terms, the config checks, and the pieces
handed to the loop (`Method.setup`). A new method or a PRISM variant is a new subclass passed to `register`, not
an edit of the loop.
"""

from __future__ import annotations

import random

from ..selection import RULES, Rule
from .bn_sets import draw_bn_set
from .config import ConfigError, SynthConfig
from .hooks import StatHook, TeacherStats, bn_hooks
from .objectives import BalancedStatAlignment, DataDensification, Objective, StatAlignment, Term
from .refstats import conv_layers, conv_reference_stats
from .types import BatchSpec, Method, Prepared, TeacherSchedule

ZOO_POOL = ("mobilenetv2_050", "shufflenet_v2_x0_5", "regnetx_002", "lcnet_050", "ghostnet_050")


class SRe2L(Method):
    name, title = "sre2l", "SRe2L"
    summary = "one teacher supervises both the logits and the BN statistics; noise init"
    defaults = dict(
        bn_pool=(),
        subset_rule="official",
        init="noise",
        lr=0.25,
        r_bn=0.01,
        iterations=300,
        vary_iterations=False,
        batch_formation="cross-class",
    )
    small_image = dict(lr=1.0, r_bn=0.1)


class PRISM(Method):
    name, title = "prism", "PRISM"
    summary = (
        "a fixed primary supervises the logits; a drawn set of other architectures supervises BN; real init; "
        "the TV and L2 priors count only when given a weight (the official loop never adds them)"
    )
    pool_role = "BN-teacher pool"
    options = ("subset_rule", "subset_k", "include_primary", "selection", "reselect_every")
    defaults = dict(SRe2L.defaults, bn_pool=ZOO_POOL, init="first", lr=0.05)
    small_image = dict(iterations=100)  # real init needs fewer steps; keeps the default IPC 10 run near a minute

    def check(self, cfg: SynthConfig) -> None:
        if not cfg.bn_pool and not cfg.include_primary:
            raise ConfigError("PRISM with the primary excluded needs at least one BN teacher in the pool")

    def bn_pool(self, cfg: SynthConfig) -> list[str]:
        return list(dict.fromkeys(([cfg.primary] if cfg.include_primary else []) + list(cfg.bn_pool)))

    def bn_set(self, cfg: SynthConfig, rng: random.Random) -> tuple[str, ...]:
        return tuple(self._draw(cfg, rng))

    @staticmethod
    def _draw(cfg: SynthConfig, rng: random.Random) -> list[str]:
        return draw_bn_set(cfg.primary, cfg.bn_pool, cfg.subset_rule, cfg.subset_k, cfg.include_primary, rng)

    def schedule(self, cfg: SynthConfig, spec: BatchSpec) -> TeacherSchedule:
        if cfg.selection == "pre":
            return super().schedule(cfg, spec)
        rngs = [random.Random(seed) for seed in spec.seeds]
        sets = [list(s) for s in spec.bn_sets]

        def at(step: int) -> tuple[str, list[list[str]]]:  # intra: each group re-draws S every K steps
            nonlocal sets
            if step > 0 and step % cfg.reselect_every == 0:
                sets = [self._draw(cfg, r) for r in rngs]
            return cfg.primary, sets

        return at


class BalancedPRISM(PRISM):
    """Beyond PRISM: the same sets, each BN teacher's term on an equal footing (objectives.BalancedStatAlignment)."""

    name, title = "prism-balanced", "PRISM, balanced"
    summary = "PRISM with every BN teacher's statistics loss on an equal footing (scaled by its first value)"

    def stat_term(self, cfg: SynthConfig) -> Term:
        return BalancedStatAlignment("bn", cfg.r_bn)


class GVBSM(Method):
    name, title = "gvbsm", "G-VBSM"
    summary = "round-robin backbones each supply the logits and BN + conv/patch statistics; data densification"
    pool_role = "G-VBSM backbones"
    primary_supplies_ce = False
    shares_init_setting = False  # four backbones in turn need their own steps (init_settings.GVBSM_INIT_SETTINGS)
    options = ("ema_alpha", "dd_weight", "dd_tau", "stats_images")
    defaults = dict(
        SRe2L.defaults,
        bn_pool=("resnet18", "mobilenetv2_050", "shufflenet_v2_x0_5", "regnetx_002"),
        lr=0.1,
        batch_formation="class-grouped",
    )
    # each of the 4 backbones needs ~250 steps of its own before held-out models agree (35 % at 300 steps)
    small_image = dict(lr=0.25, r_bn=0.1, iterations=1000)

    def check(self, cfg: SynthConfig) -> None:
        if not cfg.bn_pool:
            raise ConfigError("G-VBSM needs at least one backbone in bn_pool")

    def bn_pool(self, cfg: SynthConfig) -> list[str]:
        return list(cfg.bn_pool)

    def bn_set(self, cfg: SynthConfig, rng: random.Random) -> tuple[str, ...]:
        return tuple(cfg.bn_pool)

    def schedule(self, cfg: SynthConfig, spec: BatchSpec) -> TeacherSchedule:
        bn_set = spec.bn_sets[0]  # G-VBSM's backbones, in turn

        def at(step: int) -> tuple[str, list[list[str]]]:  # one backbone per step serves every group
            name = bn_set[step % len(bn_set)]
            return name, [[name]] * spec.groups

        return at

    def stat_hooks(self, p: Prepared, name: str) -> TeacherStats:
        """BN and conv-input hooks with EMA; x first_multiplier on the first hooked module (conv1 for a ResNet)."""
        cfg, teacher = p.config, p.teachers[name]
        refs = dict(
            zip(
                conv_layers(teacher.model.net),
                conv_reference_stats(teacher, p.dataset, cfg.stats_images, device=p.device),
            )
        )
        bn = {h.module: h for h in bn_hooks(teacher.model.net, 1.0, ema_alpha=cfg.ema_alpha)}
        hooks = [
            bn[m] if m in bn else StatHook(m, refs[m], patches=True, ema_alpha=cfg.ema_alpha)
            for m in teacher.model.net.modules()
            if m in bn or m in refs
        ]
        hooks[0].multiplier = cfg.first_bn_multiplier
        return TeacherStats(name, hooks)

    def stat_term(self, cfg: SynthConfig) -> Term:
        return StatAlignment("stats", cfg.r_bn)  # BN and conv/patch statistics

    def objective(self, cfg: SynthConfig) -> Objective:
        return Objective(super().objective(cfg).terms + [DataDensification("dd", cfg.dd_weight, tau=cfg.dd_tau)])


class Selection(Method):
    """A selection rule as a run: the real images (or RDED's collages) the rule picks, with no optimisation, stored
    like any run so that the Gallery, the metrics and the evaluation read them unchanged."""

    optimises = False

    def __init__(self, rule: Rule):
        self.rule = rule
        self.name, self.title, self.summary = rule.name, rule.title, rule.summary
        self.defaults = dict(SRe2L.defaults, init=rule.name, iterations=0, r_bn=0.0)

    def check(self, cfg: SynthConfig) -> None:
        if cfg.iterations or cfg.init != self.name:
            raise ConfigError(
                f"--method {self.name} picks real images and optimises nothing: leave iterations and "
                f"init unset (to optimise from its picks, use another method with --init {self.name})"
            )

    def bn_pool(self, cfg: SynthConfig) -> list[str]:
        return []


METHODS: dict[str, Method] = {
    m.name: m
    for m in (SRe2L(), PRISM(), BalancedPRISM(), GVBSM(), *(Selection(r) for r in RULES.values() if r.name != "first"))
}


def register(method: Method) -> Method:
    """Add a method: the CLI's --method, config files and the app's Launch page offer it from then on."""
    METHODS[method.name] = method
    return method


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, not {name!r}")
    return METHODS[name]


def baseline(cfg: SynthConfig) -> SynthConfig | None:
    """The fair SRe2L baseline of a run: the same primary, classes, IPC, init, seed, steps and optimiser setting
    (learning rate, loss weights), so only who supplies the statistics differs; SRe2L's batch layout. None for
    an SRe2L run or a selection. (Fields the run leaves None take SRe2L's defaults: pass them explicitly to share
    them.)"""
    if cfg.method == SRe2L.name or not get_method(cfg.method).optimises:
        return None
    return cfg.replace(method=SRe2L.name, bn_pool=(), batch_formation=None)
