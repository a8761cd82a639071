"""Pinned outputs: every recipe's images for a small zoo run on the CPU, within a measured tolerance of the stored
references (golden.py says how it was chosen), on any x86-64 CPU: each recipe is checked here with this machine's
kernels and again, in a subprocess, with the AVX2 and the scalar kernels standing in for other CPUs. A change that
moves a recipe's pixels for real fails here."""

import pytest

from tests.synthesis.golden import MUTATIONS, RECIPES, VARIANTS, config, drift, in_subprocess, references, render


@pytest.mark.parametrize("name", list(RECIPES))
def test_recipe_images_match_the_references_within_the_measured_tolerance(name, tmp_path, fmnist):
    d = drift(render(config(name), tmp_path / name), references()[name])
    assert d.within(RECIPES[name].tolerance), f"{name}: {d} is beyond {RECIPES[name].tolerance} (max {d.max_abs})"


@pytest.mark.integration  # a subprocess per variant
@pytest.mark.parametrize("variant", [v for v, env in VARIANTS.items() if env])
def test_other_cpus_kernels_stay_within_the_tolerance(variant, tmp_path, fmnist):
    images, refs = in_subprocess(tmp_path / "images.npz", VARIANTS[variant], {}), references()
    far = {
        n: str(drift(images[n], refs[n]))
        for n, r in RECIPES.items()
        if not drift(images[n], refs[n]).within(r.tolerance)
    }
    assert not far, f"with {variant} kernels: {far}"


@pytest.mark.integration  # checks the check, not the code
@pytest.mark.parametrize("label", list(MUTATIONS))
def test_a_real_one_line_change_fails_the_golden_check(label, tmp_path, fmnist):
    changes, name = MUTATIONS[label]
    d = drift(render(config(name, **changes), tmp_path / name), references()[name])
    assert not d.within(RECIPES[name].tolerance), f"{label} moved {name} by only {d}"
