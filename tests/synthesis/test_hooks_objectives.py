import torch
import torch.nn as nn

from prism_core.synthesis.hooks import StatHook, TeacherStats, attached, bn_hooks, patch_stats
from prism_core.synthesis.objectives import (
    CrossEntropy,
    DataDensification,
    Objective,
    PixelL2,
    StatAlignment,
    StepContext,
    TotalVariationL2,
)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3, padding=1),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 3),
    )
    for bn in (m[1], m[4]):  # non-trivial running statistics
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    return m.eval().requires_grad_(False)


def direct_bn_loss(m, x, first=10.0):
    """The formula with no hooks: sum_l m_l (||mu_l - rm_l|| + ||var_l - rv_l||), biased variance over N,H,W."""
    a1 = m[0](x)
    a2 = m[3](m[2](m[1](a1)))
    total = 0
    for mult, a, bn in ((first, a1, m[1]), (1.0, a2, m[4])):
        mu, var = a.mean((0, 2, 3)), a.var((0, 2, 3), unbiased=False)
        total = total + mult * ((mu - bn.running_mean).norm() + (var - bn.running_var).norm())
    return total


def test_bn_alignment_equals_the_hook_free_formula():
    m, x = tiny_model(), torch.randn(5, 1, 8, 8)
    stats = TeacherStats("tiny", bn_hooks(m, first_multiplier=10.0))
    with attached([stats]):
        m(x)
        hooked = stats.take()
    assert hooked.shape == (1,) and torch.allclose(hooked, direct_bn_loss(m, x), rtol=1e-5)


def test_a_packed_forward_gives_each_group_its_own_statistics():
    m, x = tiny_model(), torch.randn(3 * 4, 1, 8, 8)
    stats = TeacherStats("tiny", bn_hooks(m, first_multiplier=10.0))
    with attached([stats]):
        stats.expect(3)
        m(x)
        packed = stats.take()
    alone = torch.stack([direct_bn_loss(m, part) for part in x.chunk(3)])
    assert torch.allclose(packed, alone, rtol=1e-5)


def test_hooks_never_outlive_the_block_even_on_error():
    m = tiny_model()
    stats = TeacherStats("tiny", bn_hooks(m, 10.0))
    try:
        with attached([stats]):
            assert len(m[1]._forward_hooks) == 1
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert all(len(mod._forward_hooks) == 0 for mod in m.modules())


def test_ema_statistic_is_straight_through():
    m, x = tiny_model(), torch.randn(4, 1, 8, 8)
    hook = StatHook(m[1], [m[1].running_mean, m[1].running_var], patches=False, ema_alpha=0.4)
    with attached([TeacherStats("t", [hook])]):
        m(x)
        first = hook.loss.item()
        m(x)  # same batch: the EMA equals the statistic, so the loss is unchanged
        assert abs(hook.loss.item() - first) < 1e-5


def test_patch_stats_grid():
    a = torch.randn(2, 3, 32, 32)
    mean, var = patch_stats(a)
    assert mean.shape == (4,) and torch.allclose(mean[0], a[:, :, :16, :16].mean())
    assert patch_stats(torch.randn(2, 3, 8, 8))[0].shape == (1,)


def _descends(term, steps=8, grouped=False, lr=0.05):
    m = tiny_model()
    torch.manual_seed(1)
    x = torch.randn(6, 1, 8, 8, requires_grad=True)
    targets = torch.tensor([0, 0, 0, 1, 1, 1] if grouped else [0, 1, 2, 0, 1, 2])
    opt = torch.optim.Adam([x], lr=lr)
    stats = TeacherStats("tiny", bn_hooks(m, 10.0))
    values = []
    for _ in range(steps):
        with attached([stats]):
            logits = m(x)
            rows = ((0, 1, 2), (3, 4, 5)) if grouped else ((0, 3), (1, 4), (2, 5))
            ctx = StepContext(x, x, targets, logits, {"tiny": (torch.tensor([True]), stats.take())}, 1, (rows,))
        loss, report = Objective([term])(ctx)
        values.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return values


def test_each_loss_term_decreases_under_optimisation():
    # DD chases a target that moves with the spectrum, so it needs a small step to descend monotonically
    for term, grouped, lr in (
        (CrossEntropy("ce"), False, 0.05),
        (StatAlignment("bn", 1.0), False, 0.05),
        (DataDensification("dd", 1.0, tau=4.0), True, 0.002),
        (TotalVariationL2("tv", 1.0), False, 0.05),
        (PixelL2("l2", 1.0), False, 0.05),
    ):
        values = _descends(term, grouped=grouped, lr=lr)
        assert values[-1] < values[0], (term.name, values)


def test_objective_reports_each_term_and_teacher():
    ctx = StepContext(
        torch.zeros(2, 1, 4, 4),
        torch.zeros(2, 1, 4, 4),
        torch.tensor([0, 1]),
        torch.zeros(2, 3),
        {"a": (torch.tensor([True]), torch.tensor([2.0])), "b": (torch.tensor([True]), torch.tensor([4.0]))},
    )
    total, report = Objective([CrossEntropy("ce"), StatAlignment("bn", 0.5)])(ctx)
    assert report["bn"].item() == 1.5 and report["stats/a"].item() == 2.0
    assert torch.isclose(total, report["ce"] + report["bn"])


def test_bn_term_averages_over_each_groups_own_set():
    # group 0 is served by a and b, group 1 by b alone: (2+4)/2 and 6/1, averaged over the groups; a's loss for
    # group 1 (a compiled step forwards every teacher on the whole batch) is ignored, NaN included
    ctx = StepContext(
        torch.zeros(4, 1, 4, 4),
        torch.zeros(4, 1, 4, 4),
        torch.tensor([0, 1, 0, 1]),
        torch.zeros(4, 3),
        {
            "a": (torch.tensor([True, False]), torch.tensor([2.0, float("nan")])),
            "b": (torch.tensor([True, True]), torch.tensor([4.0, 6.0])),
        },
        groups=2,
    )
    assert StatAlignment("bn").value(ctx).tolist() == [3.0, 6.0]
    _, report = Objective([StatAlignment("bn", 1.0)])(ctx)
    assert report["bn"].item() == 4.5 and report["stats/b"].item() == 5.0


def test_single_patch_shortcut_equals_resizing():
    import torch.nn.functional as F

    for size in (1, 2, 5, 8):
        a = torch.randn(3, 4, size, size, dtype=torch.float64)
        up = F.interpolate(a, size=(16, 16), mode="bilinear", align_corners=False)
        mean, var = patch_stats(a.float())
        assert torch.allclose(mean, up.mean().float().view(1), atol=1e-5)
        assert torch.allclose(var, up.var(unbiased=False).float().view(1), atol=1e-4)


def test_balanced_alignment_puts_every_teacher_on_an_equal_footing():
    """A teacher whose raw loss is 100x another's (more layers) weighs the same once each is scaled by its first
    value; the overall scale stays the mean first value, and later changes are relative to each teacher's start."""
    from prism_core.synthesis.objectives import BalancedStatAlignment, StepContext

    term = BalancedStatAlignment("bn")
    rows = torch.tensor([True, True])

    def ctx(a, b):
        return StepContext(
            x=torch.zeros(4, 1, 2, 2),
            x_aug=torch.zeros(4, 1, 2, 2),
            targets=torch.zeros(4, dtype=torch.long),
            logits=torch.zeros(4, 3),
            groups=2,
            stat_losses={"small": (rows, torch.tensor([a, a])), "big": (rows, torch.tensor([b, b]))},
        )

    assert torch.allclose(term.value(ctx(1.0, 100.0)), torch.tensor([50.5, 50.5]))
    # a group a teacher did not serve reads nothing of it: not its loss, not a NaN in the gradient
    loss = torch.tensor([1.0, float("nan")], requires_grad=True)
    other = StepContext(
        x=torch.zeros(4, 1, 2, 2),
        x_aug=torch.zeros(4, 1, 2, 2),
        targets=torch.zeros(4, dtype=torch.long),
        logits=torch.zeros(4, 3),
        groups=2,
        stat_losses={"late": (torch.tensor([True, False]), loss), "big": (rows, torch.tensor([100.0, 100.0]))},
    )
    BalancedStatAlignment("bn").value(other).sum().backward()
    assert loss.grad.tolist() == [50.5 / 2, 0.0]
    # the big teacher halves, the small one does not move: the term drops by a quarter, as it would for the small one
    assert torch.allclose(term.value(ctx(1.0, 50.0)), torch.tensor([50.5 * 0.75, 50.5 * 0.75]))
    assert torch.allclose(term.value(ctx(0.5, 100.0)), torch.tensor([50.5 * 0.75, 50.5 * 0.75]))


def test_pixel_l2_is_the_mean_of_per_image_norms_as_in_the_official_code():
    """Two groups of two images: each group's value is the mean of its images' norms, not one norm of the group."""
    x = torch.zeros(4, 1, 2, 2)
    x[0, 0, 0, 0], x[1, 0, 1, 1] = 3.0, 4.0  # group 0: norms 3 and 4
    x[2] = 1.0  # group 1: norms 2 and 0
    ctx = StepContext(x, x, torch.zeros(4, dtype=torch.long), torch.zeros(4, 3), groups=2)
    assert PixelL2("l2").value(ctx).tolist() == [3.5, 1.0]
