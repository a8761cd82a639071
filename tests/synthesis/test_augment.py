"""The engine's augmentation (matrix products of fixed shapes, for one compiled graph) is the public code's crop,
resize, flip and roll, drawn from the same generator: equal to float rounding."""

import pytest
import torch

from prism_core.synthesis.augment import CropFlipRoll


@pytest.mark.parametrize(
    "size, height, width, jitter", [(28, 28, 28, 0), (28, 28, 28, 4), (32, 40, 36, 2), (64, 64, 64, 8)]
)
def test_the_engines_form_equals_slicing_and_resizing(size, height, width, jitter):
    aug = CropFlipRoll(size, jitter=jitter)
    for seed in range(20):  # down- and up-sampling crops, flips and rolls
        x = torch.randn(6, 3, height, width, generator=torch.Generator().manual_seed(seed))
        public = torch.cat(
            [aug(part, torch.Generator().manual_seed(seed * 10 + g)) for g, part in enumerate(x.chunk(3))]
        )
        draws = aug.draw(height, width, [torch.Generator().manual_seed(seed * 10 + g) for g in range(3)])[0]
        torch.testing.assert_close(aug.apply(x, draws), public, rtol=1e-5, atol=2e-5)


def test_the_engines_form_passes_gradients_to_the_pixels_it_samples():
    aug = CropFlipRoll(8, flip=False)
    x = torch.randn(2, 1, 16, 16, requires_grad=True)
    draws = torch.tensor([[4, 2, 8, 8, 0, 0, 0]], dtype=torch.float32)  # an 8x8 window, no resize
    aug.apply(x, draws).sum().backward()
    inside = torch.zeros(16, 16)
    inside[4:12, 2:10] = 1
    assert torch.equal(x.grad[0, 0], inside)


def test_a_batchs_draws_taken_up_front_are_the_steps_draws_in_order():
    aug = CropFlipRoll(28, jitter=2)
    gens = lambda: [torch.Generator().manual_seed(s) for s in (5, 6)]  # noqa: E731
    at_once, one_by_one = aug.draw(28, 28, gens(), steps=4), gens()
    assert at_once.shape == (4, 2, 7)
    assert torch.equal(at_once, torch.cat([aug.draw(28, 28, one_by_one) for _ in range(4)]))
