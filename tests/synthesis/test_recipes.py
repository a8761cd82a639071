"""A method's defaults fitted to a workspace's zoo: the BN pool cut to it, a selector it has, each choice said."""

import json

import pytest

from prism_core.calibrated import Calibrated, Point, Recipe, read_calibrated, write_calibrated
from prism_core.synthesis import SynthConfig, get_method
from prism_core.synthesis.recipes import fit_to_zoo, with_calibrated

CALIBRATED = Calibrated(
    recipes={"noise": Recipe(0.25, 0.01, 1000), "real": Recipe(0.02, 0.01, 100)},
    judge="convnext_atto",
    ipc=2,
    seed=0,
    points=(Point("noise", Recipe(0.25, 0.01, 1000), 60.0, 0.01, 40.0),),
    date="2026-12-08",
)


def test_the_default_pool_and_selector_fit_a_small_zoo_and_each_choice_is_a_line():
    zoo = {"resnet18", "ghostnet_050", "convnext_atto"}
    cfg, notes = fit_to_zoo(SynthConfig(method="prism", init="herding"), get_method("prism"), zoo)
    assert cfg.bn_pool == ("ghostnet_050",) and cfg.selector == "ghostnet_050"  # not the primary, resnet18
    assert notes == [
        "BN pool: ghostnet_050 (the method's default, cut to the zoo)",
        "selector: ghostnet_050 (the default regnetx_002 is not in the zoo)",
    ]


def test_a_run_that_scores_no_images_keeps_its_selector_unmentioned():
    cfg, notes = fit_to_zoo(SynthConfig(method="sre2l"), get_method("sre2l"), {"resnet18"})
    assert cfg.selector == "regnetx_002" and notes == []  # noise init: no selector is loaded


def test_what_the_user_named_is_kept_and_a_full_zoo_changes_nothing():
    from prism_core.teachers import read_manifest

    named = SynthConfig(method="prism", bn_pool=("mobilenetv2_050",), selector="lcnet_050")
    cfg, notes = fit_to_zoo(named, get_method("prism"), {"resnet18"})
    assert (cfg.bn_pool, cfg.selector, notes) == (("mobilenetv2_050",), "lcnet_050", [])
    cfg, notes = fit_to_zoo(SynthConfig(method="prism"), get_method("prism"), set(read_manifest().teachers))
    assert notes == [] and cfg.selector == "regnetx_002" and cfg.bn_pool == get_method("prism").defaults["bn_pool"]


def test_a_calibrated_workspace_fills_what_the_run_leaves_to_the_method_for_its_init():
    zoo = {"resnet18", "lcnet_050", "convnext_atto"}
    cfg, notes = fit_to_zoo(SynthConfig(method="sre2l"), get_method("sre2l"), zoo, CALIBRATED)
    assert (cfg.lr, cfg.r_bn, cfg.iterations) == (0.25, 0.01, 1000)  # SRe2L starts from noise
    assert notes[0] == "recipe from noise: lr 0.25, r_bn 0.01, 1000 steps (calibrated for this workspace on 2026-12-08)"
    cfg, _ = fit_to_zoo(SynthConfig(method="prism"), get_method("prism"), zoo, CALIBRATED)
    assert (cfg.lr, cfg.iterations) == (0.02, 100)  # PRISM's default init is the first real images
    cfg, _ = fit_to_zoo(SynthConfig(method="prism", init="noise", lr=0.5), get_method("prism"), zoo, CALIBRATED)
    assert (cfg.lr, cfg.r_bn, cfg.iterations) == (0.5, 0.01, 1000)  # a value the user gave wins
    forced, note = with_calibrated(
        SynthConfig(method="prism", init="herding", lr=0.05), get_method("prism"), CALIBRATED, force=True
    )
    assert forced.lr == 0.02 and "from real" in note  # a benchmark row: the protocol's setting is the calibrated one
    for method in ("gvbsm", "herding"):  # G-VBSM keeps its own recipe; a selection optimises nothing
        assert with_calibrated(SynthConfig(method=method), get_method(method), CALIBRATED) == (
            SynthConfig(method=method),
            None,
        )


def test_recipes_round_trip_beside_a_zoo_and_a_broken_file_says_how_to_remake_it(tmp_path):
    assert read_calibrated(tmp_path) is None and read_calibrated(None) is None
    write_calibrated(tmp_path, CALIBRATED)
    assert read_calibrated(tmp_path) == CALIBRATED
    (tmp_path / "recipes.json").write_text(json.dumps({"recipes": {}}))
    with pytest.raises(ValueError, match="remake it with `prism_core calibrate`"):
        read_calibrated(tmp_path)
