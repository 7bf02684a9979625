"""Reading a rules file's YAML: libyaml (C) where it gives what PyYAML's pure-Python loader
gives, and the lines of the nodes that problems cite.

The pure-Python loader is the reference: its data, its node lines and its error messages are
the ones documented and tested (tests/test_startup_yaml.py compares the two). libyaml reads the
bundled rules about twenty times faster; :func:`parse_fast` uses it only on text the two read
alike, and says None otherwise, so that the caller reads the text with the pure-Python loader.
"""

from __future__ import annotations

import re

import yaml

#: A path into a YAML document: mapping keys and sequence indices.
Location = tuple[int | str, ...]


#: libyaml's safe loader when PyYAML was built with it (the wheels are), else None.
_CSafeLoader: type[yaml.CSafeLoader] | None = getattr(yaml, "CSafeLoader", None)
#: Text that libyaml reads differently from the pure-Python loader, found by comparing the two
#: on random and mutated texts (tests/test_startup_yaml.py): a tab (libyaml takes it as a
#: separator where PyYAML refuses it); ``!`` (libyaml reads ``key: !`` as ``''``, PyYAML as
#: null); ``?`` (libyaml allows it in plain scalars of flow collections, ``[a ?]``); a BOM past
#: the start; ``#`` right after a block scalar indicator (``|#``). Such text, and text without
#: a final line break (libyaml places empty nodes at its end a line lower), is read by PyYAML
#: alone. Otherwise the two give the same data, and the same lines for the root, every
#: sequence item and every mapping key: the lines problems cite. (libyaml may place an empty
#: value of a flow mapping, ``{a:\n}``, a line lower; those lines are not read.)
_LIBYAML_DIFFERS = re.compile(r"[\t!?\ufeff]|[|>][-+0-9]*#")
#: ``_LIBYAML_DIFFERS`` in two parts, found three times faster than the one alternation: its
#: characters, and a block scalar indicator with a comment right after it.
_LIBYAML_DIFFERS_CHARACTERS = "\t!?\ufeff"
_LIBYAML_DIFFERS_BLOCK = re.compile(r"[|>][-+0-9]*#")

#: The tags of the nodes ``_construct_plain`` builds; the scalar ones are those a key may have.
_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = frozenset(
    {
        _STR_TAG,
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
    }
)
#: Deeper documents are built by PyYAML's constructor (rules files nest five levels or so).
_PLAIN_MAX_DEPTH = 100


def parse_fast(text: str) -> tuple[yaml.Node | None, object] | None:
    """The document's root node and data read by libyaml (C), or None when it cannot.

    libyaml gives the same nodes, with the same lines, as the pure-Python loader, about
    twenty times faster; ``_construct`` builds from them the data the pure-Python loader's
    constructor does. None when libyaml is missing, when the text uses a feature the two read
    differently (see ``_LIBYAML_DIFFERS``), or when libyaml raises anything: the caller then
    reads the text again with the pure-Python loader, whose results and error messages are
    the reference.
    """
    if _CSafeLoader is None or _libyaml_differs(text) or not text.endswith("\n"):
        return None
    try:
        loader = _CSafeLoader(text)
    except Exception:  # any failure: the pure-Python loader says why
        return None
    try:
        root = loader.get_single_node()
        data = _construct(loader, root) if root is not None else None
    except Exception:  # as above
        return None
    finally:
        loader.dispose()
    return root, data


def _libyaml_differs(text: str) -> bool:
    """True when ``_LIBYAML_DIFFERS`` is found in the text."""
    return (
        any(character in text for character in _LIBYAML_DIFFERS_CHARACTERS)
        or _LIBYAML_DIFFERS_BLOCK.search(text) is not None
    )


class _NotPlain(Exception):
    """The document has a node ``_construct_plain`` leaves to PyYAML's constructor."""


def _construct(loader: yaml.CSafeLoader, root: yaml.Node) -> object:
    """The document's data, as ``loader.construct_document(root)`` gives them."""
    try:
        return _construct_plain(loader, root)
    except _NotPlain:
        return loader.construct_document(root)


def _construct_plain(loader: yaml.CSafeLoader, root: yaml.Node) -> object:
    """The data of a document of mappings, sequences and null, bool, int, float and str
    scalars, three times faster than PyYAML's constructor, whose scalar methods it calls.

    Raises ``_NotPlain`` for anything else, which that constructor then builds (or refuses):
    another tag (timestamps, sets, a merge key ``<<``), a key that is not such a scalar, a
    mapping or sequence reached twice (an alias: PyYAML gives the same object twice), or
    nesting deeper than ``_PLAIN_MAX_DEPTH``.
    """
    constructors = loader.yaml_constructors
    seen: set[int] = set()

    def build(node: yaml.Node, depth: int) -> object:
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR_TAG:
                return node.value
            if tag in _SCALAR_TAGS:
                return constructors[tag](loader, node)
            raise _NotPlain
        if depth > _PLAIN_MAX_DEPTH or id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
        if tag == _MAP_TAG and isinstance(node, yaml.MappingNode):
            # Every key looked at before any is built, as PyYAML's constructor handles a merge
            # key (``<<``) before the others: its error, not a scalar's, when both are wrong.
            pairs = node.value
            if not all(
                isinstance(key, yaml.ScalarNode) and key.tag in _SCALAR_TAGS for key, _ in pairs
            ):
                raise _NotPlain
            data: dict[object, object] = {}
            for key, value in pairs:
                built = build(key, depth)  # the key first, as PyYAML: its error when both fail
                data[built] = build(value, depth + 1)
            return data
        if tag == _SEQ_TAG and isinstance(node, yaml.SequenceNode):
            return [build(item, depth + 1) for item in node.value]
        raise _NotPlain

    return build(root, 0)


def line_at(root: yaml.Node, location: Location) -> int:
    """The 1-based line of the deepest node ``location`` reaches (a key's line for mappings)."""
    node = root
    line = root.start_mark.line + 1
    for step in location:
        if isinstance(node, yaml.MappingNode):
            match = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                    match = key, value  # the last one wins, as in the loaded data
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line
