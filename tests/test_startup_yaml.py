"""Rules files are parsed with libyaml (C), and with the pure-Python loader when libyaml refuses
the text or the text uses a feature the two read differently: same data, same lines, same
problems as the pure-Python loader alone.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.rules import bundled_rules_dir, load_rules, yaml_reading
from annotator.rules import loader as loader_module
from annotator.rules.files import RulesSource

pytestmark = pytest.mark.skipif(
    not getattr(yaml, "__with_libyaml__", False), reason="PyYAML built without libyaml"
)

# Valid YAML a rules file may use: comments, quoting styles, folded and literal blocks, flow
# collections over several lines, anchors and merge keys, CRLF ends, a BOM, non-ASCII text.
VALID = {
    "styles": """\
        # a comment
        rules:
          - id: 'EGFR-T790M-R'   # trailing comment
            gene: "EGFR"
            notes: >-
              folded
              text

              second paragraph
            literal: |
              line 1
                line 2
            flow: {a: 1, b: [x, "y",
                   z], c: ~}
            empty:
            numbers: [1, 1.5, 0x1F, 1e3, .inf, -0, 012]
            booleans: [yes, No, true, off]
            date: 2024-01-31
            text: "tab\\tand unicode \\u00e9 é 漢字 ✓"
        """,
    "anchors": """\
        base: &base {a: 1, b: 2}
        derived:
          <<: *base
          b: 3
        list: [*base, *base]
        """,
    "explicit document": "---\nrules: []\n...\n",
    "crlf": "rules:\r\n  - id: X\r\n    gene: EGFR\r\n",
    "other line breaks": "a: 1\x85b: [x,\u2028 y]\u2029c: é\n",
    "comments only": "# nothing\n# here\n",
    "scalar top": "just text\n",
}

# Text libyaml reads, differently from PyYAML or where PyYAML refuses it: read by PyYAML alone.
SCREENED = {
    "tab": "a: b\tc\n",
    "empty tagged value": "a: !\n",
    "question mark in a flow sequence": "a: [b ?]\n",
    "comment after a block scalar indicator": "a: |#\n  text\n",
    "bom": "\ufeffrules:\n  - id: X\n",
    "no final newline": "version: w",
    "empty": "",
}

# Invalid YAML: libyaml refuses each, and the pure-Python loader's message is the one reported.
INVALID = {
    "flow": "rules: [a, b\n  c: d\n",
    "indent": "rules:\n  - id: x\n   gene: y\n",
    "tab": "rules:\n\t- id: x\n",
    "control character": "rules:\n  - id: \x0c\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "unknown alias": "a: *missing\n",
    "bad tag": "a: !!python/object:os.system x\n",
}


def node_lines(node: yaml.Node) -> list[tuple[str, str, int, str | None]]:
    """Every node of a tree: kind, tag, 1-based start line and scalar value."""
    found: list[tuple[str, str, int, str | None]] = []
    pending = [node]
    while pending:
        current = pending.pop()
        value = current.value if isinstance(current, yaml.ScalarNode) else None
        found.append((type(current).__name__, current.tag, current.start_mark.line + 1, value))
        if isinstance(current, yaml.SequenceNode):
            pending.extend(reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            for key, item in reversed(current.value):
                pending.extend((item, key))
    return found


def python_parse(text: str) -> tuple[yaml.Node | None, object]:
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def observable_lines(node: yaml.Node | None) -> list[object]:
    """What the loader reads of a tree: kinds, tags, scalar values, and the lines of the root,
    of every sequence item and of every mapping key (the lines problems cite)."""
    found: list[object] = []
    pending: list[tuple[yaml.Node | None, bool]] = [(node, True)]
    while pending:
        current, placed = pending.pop()
        if current is None:
            found.append(None)
            continue
        line = current.start_mark.line if placed else None
        found.append((type(current).__name__, current.tag, line))
        if isinstance(current, yaml.ScalarNode):
            found.append(current.value)
        elif isinstance(current, yaml.SequenceNode):
            pending.extend((item, True) for item in reversed(current.value))
        elif isinstance(current, yaml.MappingNode):
            for key, item in reversed(current.value):
                pending.extend(((item, False), (key, True)))
    return found


def texts() -> list[tuple[str, str]]:
    bundled = [
        (path.name, path.read_text(encoding="utf-8"))
        for path in sorted(bundled_rules_dir().glob("*.yaml"))
    ]
    return bundled + [(name, textwrap.dedent(text)) for name, text in VALID.items()]


@pytest.mark.parametrize(("name", "text"), texts(), ids=[name for name, _ in texts()])
def test_libyaml_gives_the_nodes_lines_and_data_of_the_python_loader(name: str, text: str) -> None:
    fast = yaml_reading.parse_fast(text)
    assert fast is not None, f"libyaml refused {name}"
    root, data = fast
    expected_root, expected_data = python_parse(text)
    assert data == expected_data
    if expected_root is None:
        assert root is None
    else:
        assert root is not None
        assert node_lines(root) == node_lines(expected_root)


@pytest.mark.parametrize("text", INVALID.values(), ids=list(INVALID))
def test_libyaml_refuses_what_the_python_loader_refuses(text: str) -> None:
    assert yaml_reading.parse_fast(text) is None
    with pytest.raises(yaml.YAMLError):
        python_parse(text)


@pytest.mark.parametrize("text", SCREENED.values(), ids=list(SCREENED))
def test_text_libyaml_reads_differently_goes_to_the_python_loader(text: str) -> None:
    assert yaml_reading.parse_fast(text) is None
    yaml.load(text, Loader=yaml.CSafeLoader)  # a safe loader; libyaml reads the text


# Pieces of YAML syntax, so that random texts reach the corners where the two loaders differ
# (with ``_LIBYAML_DIFFERS`` emptied this finds a difference within a few hundred examples).
PIECES = [
    *"ab1 :-?[]{},#&*!|>'\"%@.\\\n\t\r",
    *["\r\n", "\x85", "\u2028", "é", "\ufeff", "- ", ": ", "key: ", "  - ", "\n  ", "---"],
    *["...", "~", "<<: ", "0x1", "1.5", "null", "yes", "2024-01-01", "'x'", "&a ", "*a"],
]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=16), st.booleans())
def test_when_libyaml_reads_a_text_the_python_loader_reads_it_the_same(
    pieces: list[str], final_newline: bool
) -> None:
    text = "".join(pieces) + ("\n" if final_newline else "")
    fast = yaml_reading.parse_fast(text)
    if fast is None:
        return
    try:
        expected_root, expected_data = python_parse(text)
    except yaml.YAMLError as error:
        pytest.fail(f"libyaml read {text!r}, which PyYAML refuses: {error}")
    assert repr(fast[1]) == repr(expected_data)
    assert observable_lines(fast[0]) == observable_lines(expected_root)


def mutations(text: str, rng: random.Random) -> str:
    """``text`` with one to four random edits: a piece inserted, characters or indentation
    removed, a line indented."""
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(text) + 1)
        line_start = text.rfind("\n", 0, at) + 1
        edit = rng.randrange(4)
        if edit == 0:
            text = text[:at] + rng.choice(PIECES) + text[at:]
        elif edit == 1:
            text = text[:at] + text[at + rng.randint(1, 6) :]
        elif edit == 2:
            text = text[:line_start] + " " * rng.randint(1, 3) + text[line_start:]
        else:
            text = text[:line_start] + text[line_start + 1 :]
    return text


@pytest.mark.parametrize("name", ["met.yaml", "flt3.yaml", "manifest.yaml"])
def test_mutated_rules_files_give_the_same_problems_and_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    original = (bundled_rules_dir() / name).read_text(encoding="utf-8")
    rng = random.Random(name)  # the same mutations on every run
    path = tmp_path / name
    source = RulesSource(path, name, bundled=False)
    libyaml = yaml_reading._CSafeLoader
    for _ in range(150):
        text = mutations(original, rng)
        path.write_text(text, encoding="utf-8")
        monkeypatch.setattr(yaml_reading, "_CSafeLoader", libyaml)
        fast = loader_module._read_file(source)
        monkeypatch.setattr(yaml_reading, "_CSafeLoader", None)
        slow = loader_module._read_file(source)
        assert fast.problems == slow.problems, text
        assert [rule for rule, _ in fast.rules] == [rule for rule, _ in slow.rules], text
        assert [(p.subject, p.placed.line()) for p in fast.rule_parts] == [
            (p.subject, p.placed.line()) for p in slow.rule_parts
        ], text


@pytest.mark.parametrize("text", INVALID.values(), ids=list(INVALID))
def test_syntax_problems_are_the_python_loaders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    source = RulesSource(path, str(path), bundled=False)
    with_libyaml = loader_module._read_file(source).problems
    monkeypatch.setattr(yaml_reading, "_CSafeLoader", None)
    assert with_libyaml == loader_module._read_file(source).problems
    assert with_libyaml


def test_bundled_rules_are_read_without_the_python_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Refused(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            raise AssertionError("the pure-Python loader read a valid file")

    expected = load_rules()
    monkeypatch.setattr(yaml, "SafeLoader", Refused)
    assert load_rules() == expected


def test_same_rule_set_and_origins_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = load_rules()
    monkeypatch.setattr(yaml_reading, "_CSafeLoader", None)
    slow = load_rules()
    assert fast == slow
    assert fast.sha256 == slow.sha256
    assert dict(fast.origins) == dict(slow.origins)
