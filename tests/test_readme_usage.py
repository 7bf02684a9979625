"""The README's usage synopsis names every option of every command (it drifted once)."""

from __future__ import annotations

import re

import click
import pytest

from annotator.cli import cli
from tests.golden_cases import ROOT


def synopsis() -> str:
    """The fenced block under the README's '## Usage' heading."""
    text = (ROOT / "README.md").read_text()
    usage = text.split("\n## Usage\n", 1)[1]
    return usage.split("```", 2)[1]


def commands() -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    pending: list[tuple[str, click.Command]] = [("", cli)]
    while pending:
        name, command = pending.pop()
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                pending.append((f"{name} {sub_name}".strip(), sub))
        else:
            found[name] = command
    return found


@pytest.mark.parametrize("name", sorted(commands()))
def test_the_synopsis_lists_every_option(name: str) -> None:
    lines = synopsis().splitlines()
    # A command's lines: the one naming it and the indented lines that continue it.
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(f"resistance-annotator {name} ")),
        None,
    )
    assert start is not None, f"README usage has no line for {name!r}"
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        block.append(line)
    listed = set(re.findall(r"--[a-z][a-z0-9-]*", " ".join(block)))
    options = {
        flag
        for param in commands()[name].params
        if isinstance(param, click.Option) and not param.hidden
        for flag in (*param.opts, *param.secondary_opts)
        if flag.startswith("--") and flag != "--help"
    }
    assert options - listed == set(), f"README usage of {name!r} lacks these options"
