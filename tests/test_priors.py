"""The priors grid: one run per BN teacher from one init and seed, deterministic, refused before anything is written."""

import hashlib
import json

import pytest

from prism_core.cli import main as cli
from prism_core.priors import PriorsConfig, render_priors, row_configs
from prism_core.synthesis import ConfigError
from prism_core.synthesis.runstore import Run

pytestmark = pytest.mark.integration
SMALL = PriorsConfig(classes=(0, 7), ipc=2, iterations=3)


def pngs(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("images/*/*.png"))
    }


def test_every_row_shares_the_init_and_differs_only_in_its_bn_teacher(tmp_path):
    list(render_priors(SMALL, tmp_path / "a"))
    rows = row_configs(SMALL)
    stored = json.loads((tmp_path / "a" / "priors.json").read_text())["rows"]
    assert list(stored) == list(rows) and {"sre2l", "prism-mixture", "mobilenetv2_050"} <= set(rows)
    seeds = {name: [r.seeds for r in Run(tmp_path / "a" / name).finished().values()] for name in rows}
    assert len({json.dumps(s) for s in seeds.values()}) == 1  # one plan, so one noise draw, for every row
    for name in set(rows) - {"sre2l", "prism-mixture"}:
        used = [u for r in Run(tmp_path / "a" / name).finished().values() for u in r.bn_sets_used]
        assert all(set(u) == {(name,)} for u in used)  # that teacher alone supplied the statistics
        assert stored[name]["bn_pool"] == [name] and 0 <= stored[name]["judge_top1"] <= 100
        assert -1 <= stored[name]["intra_class_cosine"] <= 1
    assert (tmp_path / "a" / "priors.png").stat().st_size > 1000


def test_the_same_seed_gives_identical_pngs_and_the_cli_writes_the_grid(tmp_path, capsys):
    list(render_priors(SMALL, tmp_path / "a"))
    assert cli(["priors", "--out", str(tmp_path / "b"), "--classes", "0,7", "--ipc", "2", "--iterations", "3"]) == 0
    assert pngs(tmp_path / "a") == pngs(tmp_path / "b") and len(pngs(tmp_path / "a")) == 4 * len(row_configs(SMALL))
    assert "PRISM mixture" in capsys.readouterr().out


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(classes=(0, 12)), "outside 0..9"),
        (dict(ipc=0), "ipc must be"),
        (dict(judge="resnet18"), "must take no part"),
        (dict(init="zeros"), "init"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(tmp_path, bad, message):
    with pytest.raises(ConfigError, match=message):
        list(render_priors(PriorsConfig(**{**SMALL.__dict__, **bad}), tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    assert cli(["priors", "--out", str(tmp_path / "cli"), "--classes", "0,12"]) == 2 and not (tmp_path / "cli").exists()


def test_the_shipped_priors_written_before_the_rename_still_name_their_bn_teachers():
    from prism_core.events import PriorMeasure
    from prism_core.priors import stored_priors
    from tests.conftest import ROOT

    rows = json.loads((ROOT / "assets" / "priors" / "priors.json").read_text())["rows"]
    stored = stored_priors(ROOT / "assets" / "priors")
    assert all("bn_teachers" in r and stored.rows[n].bn_pool == tuple(r["bn_teachers"]) for n, r in rows.items())
    new = PriorMeasure("lcnet", ("lcnet_050",), 50.0, None)
    assert PriorMeasure.from_json(new.to_json()) == new and new.to_json()["bn_pool"] == ["lcnet_050"]
