"""A method's defaults fitted to a workspace's zoo: the BN pool cut to it, a selector it has, each choice said."""

from prism_core.synthesis import SynthConfig, get_method
from prism_core.synthesis.recipes import fit_to_zoo


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
