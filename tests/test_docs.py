"""The README and docs/ stay honest: short enough to read, every make target and CLI flag they name exists, every
relative link resolves (anchors included), and nothing points outside the repository."""

import re

import pytest

from prism_core.cli import build_parser
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", path.read_text(), re.M)}


def _commands(text: str) -> list[str]:
    """Each command of the bash blocks, continuation lines joined and comments dropped."""
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.split(" # ")[0].strip() for line in joined.splitlines() if line.strip()]


def test_the_readme_is_short_and_says_what_it_is_the_verdict_and_the_two_commands_first():
    text = (ROOT / "README.md").read_text()
    assert len(text) <= 12_000
    first_screen = text[: text.index("## Two commands") + 400]
    assert "<!-- results:start -->" in first_screen and "make run" in first_screen and "make test" in first_screen


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves_and_none_leaves_the_repository(doc):
    for target in LINK.findall(doc.read_text()):
        assert not re.match(r"[a-z]+:", target), f"{doc.name} links outside the repository: {target}"
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.is_relative_to(ROOT) and file.exists(), f"{doc.name}: {target} does not resolve"
        if anchor:
            assert anchor in _anchors(file), f"{doc.name}: no heading #{anchor} in {file.name}"
    assert "../shared" not in doc.read_text()


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_make_target_and_cli_flag_named_exists(doc):
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, re.M)[1].split())
    assert phony <= targets, f".PHONY names targets that do not exist: {phony - targets}"
    text = doc.read_text()
    for target in re.findall(r"`make ([a-z][\w-]*)", text):
        assert target in targets, f"{doc.name} names `make {target}`, which the Makefile lacks"
    commands = {name: sub for name, sub in build_parser()._subparsers._group_actions[0].choices.items()}
    for line in _commands(text):
        found = re.search(r"(?:python -m prism_core|\bprism) (\w+)", line)
        if not found:
            continue
        assert found[1] in commands, f"{doc.name}: no command `{found[1]}`"
        known = {s for a in commands[found[1]]._actions for s in a.option_strings}
        if found[1] in ("teachers", "workspaces"):  # a second level: teachers train, workspaces check
            sub = commands[found[1]]._subparsers._group_actions[0].choices
            known |= {s for p in sub.values() for a in p._actions for s in a.option_strings}
        for flag in re.findall(r"(?<![\w-])(--[a-z][\w-]*)", line[found.end() :]):
            assert flag in known, f"{doc.name}: `{found[1]}` has no flag {flag} ({line})"


def test_the_floors_development_md_lists_are_the_import_contracts():
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c.get("containers") == ["prism_core"])
    listed = (ROOT / "docs" / "development.md").read_text()
    floors = [m.strip() for layer in layers[1:] for m in layer.split("|")]  # __main__ is the entry, not a floor
    missing = [m for m in floors if f"`{m}`" not in listed and f"`{m}/`" not in listed]
    assert not missing, f"docs/development.md's floors leave out {missing}"
