"""The rules loader's shortcuts past PyYAML give what PyYAML gives.

``_construct_plain`` builds the data of libyaml's nodes without PyYAML's constructor (three
times faster on the bundled rules), and leaves every node it does not build the same way to
that constructor; ``_libyaml_differs`` is ``_LIBYAML_DIFFERS.search`` in two faster parts.
"""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from annotator.rules import bundled_rules_dir, yaml_reading

pytestmark = pytest.mark.skipif(
    not getattr(yaml, "__with_libyaml__", False), reason="PyYAML built without libyaml"
)

PIECES = [
    *"ab1 :-?[]{},#&*!|>+'\"%@.\\\n\t\r",
    *["\r\n", "\x85", "\u2028", "é", "\ufeff", "- ", ": ", "key: ", "  - ", "\n  ", "---"],
    *["...", "~", "<<: ", "0x1", "1.5", "1_000", "null", "yes", "Off", "2024-01-01", "'x'"],
    *["&a ", "*a", "!!str ", "!!int ", "!!set ", "? ", "|-", ">2", "=", ".inf", "-.5e3"],
]


def compose(text: str) -> tuple[yaml.CSafeLoader, yaml.Node | None]:
    loader = yaml.CSafeLoader(text)
    return loader, loader.get_single_node()


def constructed(text: str) -> tuple[object, object]:
    """PyYAML's data for the text, and ``_construct_plain``'s (or the exception it raised).

    Each from nodes of its own: PyYAML's constructor edits a mapping with a merge key.
    """
    loader, root = compose(text)
    assert root is not None
    try:
        expected = loader.construct_document(root)
    except Exception as error:  # PyYAML's constructor may raise others than YAMLError
        expected = error
    finally:
        loader.dispose()
    loader, root = compose(text)
    assert root is not None
    try:
        plain: object = yaml_reading._construct_plain(loader, root)
    except Exception as error:
        plain = error
    finally:
        loader.dispose()
    return expected, plain


@pytest.mark.parametrize("path", sorted(bundled_rules_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_the_bundled_rules_are_built_plain_and_the_same(path: object) -> None:
    expected, plain = constructed(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    assert not isinstance(plain, Exception)
    assert repr(plain) == repr(expected)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=16))
@example(pieces=["!!int ", "<<: ", "\n", "<<: "])  # a bad int key before a bad merge key
@example(pieces=["!!int ", "a", ": ", "!!int "])  # a bad int key before a bad int value
def test_plain_data_are_pyyamls_and_the_rest_is_left_to_it(pieces: list[str]) -> None:
    text = "".join(pieces) + "\n"
    try:
        _, root = compose(text)
    except yaml.YAMLError:
        return
    if root is None:
        return
    expected, plain = constructed(text)
    if isinstance(plain, yaml_reading._NotPlain):
        return  # left to PyYAML's constructor
    if isinstance(expected, Exception):  # the same scalar method refuses the same scalar
        assert type(plain) is type(expected), f"{text!r}: {plain!r}, PyYAML {expected!r}"
    else:
        assert repr(plain) == repr(expected), text


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1]\nb: *x\n",  # an alias: PyYAML gives the same list twice
        "base: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n",  # a merge key
        "when: 2024-01-31\n",  # a timestamp
        "s: !!set {a, b}\n",
        "[1, 2]: x\n",  # an unhashable key, which PyYAML refuses
        "a: " + "[" * 150 + "]" * 150 + "\n",  # deeper than _PLAIN_MAX_DEPTH
    ],
)
def test_what_is_not_plain_is_built_or_refused_by_pyyaml(text: str) -> None:
    loader, root = compose(text)
    assert root is not None
    with pytest.raises(yaml_reading._NotPlain):
        yaml_reading._construct_plain(loader, root)
    try:
        expected: object = yaml.CSafeLoader(text).get_single_data()
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            yaml_reading._construct(loader, root)
        return
    data = yaml_reading._construct(loader, root)
    assert repr(data) == repr(expected)
    if isinstance(data, dict) and "b" in data and "a" in data:
        assert data["a"] is data["b"] or not isinstance(data["a"], list)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24))
def test_libyaml_differs_is_the_regex(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert yaml_reading._libyaml_differs(text) is (
        yaml_reading._LIBYAML_DIFFERS.search(text) is not None
    )
