"""Flags made from the config dataclasses: every field is a flag, a given flag sets its field, a bad value names
its flag."""

from prism_core.cli import main


def test_every_config_field_is_a_synth_flag_that_sets_it(capsys):
    """The synth flags are generated from SynthConfig: a field added there is settable from the command line."""
    from dataclasses import fields

    import pytest

    from prism_core.cli import build_parser
    from prism_core.cli.synth import OWN_FLAGS, synth_config_from_args
    from prism_core.synthesis import SynthConfig

    with pytest.raises(SystemExit):
        main(["synth", "--help"])
    text = capsys.readouterr().out
    parser = build_parser()
    for f in fields(SynthConfig):
        assert (OWN_FLAGS.get(f.name) or "--" + f.name.replace("_", "-")) in text, f.name
    args = parser.parse_args(
        [
            "synth",
            "--out",
            "x",
            "--ema-alpha",
            "0.3",
            "--crop-scale",
            "0.4,1",
            "--no-flip",
            "--classes",
            "1,2",
            "--bn-pool",
            "lcnet_050",
            "--exclude-primary",
            "--compile",
            "--pack",
            "3",
            "--stats-images",
            "64",
            "--checkpoint",
            "resnet18=/w/r.safetensors",
        ]
    )
    cfg = synth_config_from_args(args)
    assert (cfg.ema_alpha, cfg.crop_scale, cfg.flip, cfg.classes, cfg.bn_pool) == (
        0.3,
        (0.4, 1.0),
        False,
        (1, 2),
        ("lcnet_050",),
    )
    assert (cfg.include_primary, cfg.compile, cfg.pack, cfg.stats_images) == (False, "default", 3, 64)
    assert cfg.checkpoints == {"resnet18": "/w/r.safetensors"} and cfg.method == SynthConfig().method


def test_a_mistyped_flag_value_names_the_flag(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["synth", "--out", "x", "--ipc", "ten"])
    assert "--ipc" in capsys.readouterr().err


def test_evaluate_and_priors_flags_are_their_configs_fields_with_the_configs_defaults():
    from dataclasses import fields

    from prism_core.cli import build_parser
    from prism_core.cli.flags import given_fields
    from prism_core.evaluation import EvalConfig
    from prism_core.priors import PriorsConfig

    parser = build_parser()
    for command, config, extra in (("evaluate", EvalConfig, ["run"]), ("priors", PriorsConfig, ["--out", "o"])):
        flagged = {f.name for f in fields(config) if "help" in f.metadata}
        assert flagged and given_fields(config, parser.parse_args([command, *extra])) == {}  # the defaults stay
        assert config(**given_fields(config, parser.parse_args([command, *extra]))) == config()
    args = parser.parse_args(["evaluate", "run", "--teachers", "resnet18,lcnet_050", "--epochs", "7", "--loss", "ce"])
    assert given_fields(EvalConfig, args) == {"teachers": ("resnet18", "lcnet_050"), "epochs": 7, "loss": "ce"}
    args = parser.parse_args(["priors", "--out", "o", "--classes", "1,2", "--init", "real"])
    assert PriorsConfig(**given_fields(PriorsConfig, args)) == PriorsConfig(classes=(1, 2), init="real")
