"""A run's metrics through the CLI: Vendi beside cosine, with the random real reference, stored with the run."""

import pytest


@pytest.mark.integration
def test_run_metrics_put_vendi_beside_cosine_with_the_random_real_reference(tmp_path, fmnist, capsys):
    import json

    from prism_core.cli import main
    from prism_core.synthesis import SynthConfig, synthesize

    run_dir = tmp_path / "r"
    list(synthesize(SynthConfig(method="prism", ipc=3, classes=(0, 1, 7), iterations=2), run_dir))
    assert main(["metrics", str(run_dir), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)["r"]
    assert 1.0 <= m["vendi"] <= 3.0 and 0.0 <= m["near_duplicate_rate"] <= 1.0
    real = m["random_real"]
    assert real["ipc"] == 3 and 1.0 <= real["vendi"] <= 3.0 and "mean" in real["intra_class_cosine_summary"]
    stored = json.loads((run_dir / "metrics.json").read_text())
    assert stored["vendi"] == m["vendi"] and set(stored["vendi_per_class"]) == {"0", "1", "7"}
