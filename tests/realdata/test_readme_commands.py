"""The README's commands, run as written, in order, on a fresh place against ../shared/data.

Every line of README.md's ``sh`` blocks that starts with ``totalplace `` is run (continuation lines joined,
comments dropped, globs and ``../shared/data`` expanded as a shell in the project root would; files the README
names under docs/ are the project's own). Each must exit 0, so the README and the code cannot drift apart.
Lines that cannot run in a test are listed in NOT_RUN, each with its reason; lines that ask for input get it
from TYPED.
"""

from __future__ import annotations

import glob
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import SHARED_DATA, skip_or_fail
from totalplace.cli import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: README lines the test does not run, and why (matched on the line's start).
NOT_RUN = {
    "totalplace serve": "serves the web app until stopped; tests/web run the app itself",
}
#: What the test types for lines that ask (the README's ``user add`` prompts for a password twice).
TYPED = {"totalplace user add lead --admin": "a long passphrase for the lead\n" * 2}
#: What some lines must say, beyond exiting 0 (the segmentation steps of issue 16).
SAYS = {
    "totalplace census import ": "imported 17 table(s), skipped 18 file(s)",
    "totalplace segment build ": "50 of 60 variables (83%), below the 90% a full classification uses",
}


def readme_lines(text: str) -> list[str]:
    """Each ``totalplace`` line of the ``sh`` blocks, continuations joined and comments dropped."""
    blocks = [b.split("```", 1)[0] for b in text.split("```sh")[1:]]
    lines = []
    for line in "\n".join(blocks).replace("\\\n", " ").splitlines():
        command = line.split("  #", 1)[0].split(" # ", 1)[0].strip()
        if command.startswith("totalplace "):
            lines.append(" ".join(command.split()))
    return lines


def _word(word: str, place: Path) -> list[str]:
    """One shell word as the README's shell would pass it: shared data and docs/ made absolute, globs expanded."""
    if word == "trafford":
        return [str(place)]
    word = word.replace("../shared/data/", f"{SHARED_DATA.resolve()}/")
    if word.startswith("docs/"):
        word = str(ROOT / word)
    if "*" in word:
        found = sorted(glob.glob(word))
        assert found, f"the README's {word} matches no file"
        return found
    return [word]


def as_run(line: str, place: Path) -> list[str]:
    """The arguments the README's line gives the ``totalplace`` command."""
    return [expanded for word in shlex.split(line)[1:] for expanded in _word(word, place)]


def test_the_readme_lines_are_found() -> None:
    lines = readme_lines(README.read_text(encoding="utf-8"))
    assert lines[0].startswith("totalplace init trafford")
    assert len(lines) > 30
    assert all(any(line.startswith(skip) for line in lines) for skip in NOT_RUN)
    assert all(key in lines for key in TYPED)


def test_parsing_joins_continuations_and_drops_comments() -> None:
    text = "x\n```sh\ntotalplace a b \\\n    --c d   # a comment\nls\n```\n```sh\ntotalplace e  # more\n```\n"
    assert readme_lines(text) == ["totalplace a b --c d", "totalplace e"]


@pytest.fixture
def shared() -> None:
    if not SHARED_DATA.is_dir():
        skip_or_fail("shared", f"{SHARED_DATA} is absent")


def test_every_readme_command_runs_as_written(
    shared: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each README line, in order, on a fresh place (the README's own ``trafford``; after the line that builds
    the demo, on the demo place, as the README's ``export TOTALPLACE_PLACE=demo-place`` says), exits 0."""
    monkeypatch.chdir(tmp_path)  # files the README writes (statements.pdf) land here
    monkeypatch.delenv("TOTALPLACE_DATABASE_URL", raising=False)
    place = tmp_path / "trafford"
    monkeypatch.setenv("TOTALPLACE_PLACE", str(place))  # the README's `export TOTALPLACE_PLACE=trafford`
    runner = CliRunner()
    ran = []
    for line in readme_lines(README.read_text(encoding="utf-8")):
        if any(line.startswith(skip) for skip in NOT_RUN):
            continue
        result = runner.invoke(cli, as_run(line, place), input=TYPED.get(line), catch_exceptions=False)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        said = " ".join(result.output.split())
        for start, words in SAYS.items():
            if line.startswith(start):
                assert words in said, f"{line}\n{result.output}"
        ran.append(line)
        if line.startswith("totalplace demo "):  # the README's next line: export TOTALPLACE_PLACE=demo-place
            monkeypatch.setenv("TOTALPLACE_PLACE", str(tmp_path / "demo-place"))
    assert len(ran) == len(readme_lines(README.read_text(encoding="utf-8"))) - len(NOT_RUN)
