"""``fast_init``: the same construction semantics as the ``__init__`` dataclasses writes.

Each decorated class is compared with a twin made by ``dataclasses.make_dataclass`` from the
same fields, whose ``__init__`` is the generated one.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.matcher import SampleAllele
from annotator.models import (
    Alteration,
    CodonChange,
    Finding,
    Unclassified,
    Variant,
    VariantClass,
    fast_init,
    field_copies,
)


def _twin(cls: type) -> type:
    """The same dataclass without ``fast_init``: the generated ``__init__``."""
    return dataclasses.make_dataclass(cls.__name__, field_copies(cls), frozen=True, slots=True)


@fast_init
@dataclasses.dataclass(frozen=True, slots=True)
class _Sample:
    """Every kind of field: required, default, factory, keyword-only and init=False."""

    first: int
    second: str = "x"
    items: list[int] = dataclasses.field(default_factory=list)
    hidden: int = dataclasses.field(default=7, init=False)
    made: dict[str, int] = dataclasses.field(default_factory=dict, init=False)
    unset: int = dataclasses.field(init=False, repr=False, compare=False)
    flag: bool = dataclasses.field(default=False, kw_only=True)
    needed: float = dataclasses.field(kw_only=True, default=0.5, compare=False)


_TWINS: dict[type, type] = {
    cls: _twin(cls)
    for cls in (Variant, Alteration, CodonChange, Finding, Unclassified, SampleAllele, _Sample)
}

_values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.text(max_size=3),
    st.tuples(st.text(max_size=2)),
    st.dictionaries(st.text(max_size=2), st.text(max_size=2), max_size=2),
    st.sampled_from(list(VariantClass)),
)


@st.composite
def _calls(draw: st.DrawFn, cls: type) -> tuple[type, list[Any], dict[str, Any]]:
    """A call of ``cls``: required arguments always, others at random, by position or name."""
    signature = inspect.signature(_TWINS[cls])
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    by_name = False
    for name, parameter in signature.parameters.items():
        optional = parameter.default is not inspect.Parameter.empty
        if optional and not draw(st.booleans()):
            by_name = True  # a left-out argument: the later ones only by name
            continue
        value = draw(_values)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY or by_name or draw(st.booleans()):
            by_name = True
            kwargs[name] = value
        else:
            args.append(value)
    return cls, args, kwargs


def _state(instance: object) -> dict[str, Any]:
    """Every slot that is set, by name (init=False fields without a default are unset)."""
    return {
        item.name: getattr(instance, item.name)
        for item in dataclasses.fields(instance)  # type: ignore[arg-type]
        if hasattr(instance, item.name)
    }


@given(st.sampled_from(list(_TWINS)).flatmap(_calls))
def test_fast_init_sets_what_the_generated_init_sets(
    call: tuple[type, list[Any], dict[str, Any]],
) -> None:
    cls, args, kwargs = call
    made, expected = cls(*args, **kwargs), _TWINS[cls](*args, **kwargs)
    assert _state(made) == _state(expected)
    for item in dataclasses.fields(made):
        if hasattr(expected, item.name):
            assert type(getattr(made, item.name)) is type(getattr(expected, item.name))
    assert repr(made) == repr(expected)
    assert made == cls(*args, **kwargs)
    hashed = _hashed_fields(expected)
    assert _hashed_fields(made) == hashed
    try:
        expected_hash = hash(hashed)
    except TypeError:
        return  # a value is unhashable, so is the instance
    assert hash(made) == expected_hash  # the generated __hash__: of the hashed fields' tuple


def _hashed_fields(instance: object) -> tuple[object, ...]:
    """The values dataclasses hashes: of fields with hash=True, or compare=True by default."""
    return tuple(
        getattr(instance, item.name)
        for item in dataclasses.fields(instance)  # type: ignore[arg-type]
        if (item.compare if item.hash is None else item.hash)
    )


@pytest.mark.parametrize("cls", list(_TWINS))
def test_same_signature_and_defaults(cls: type) -> None:
    twin = _TWINS[cls]
    assert inspect.signature(cls) == inspect.signature(twin)
    generated = cls.__init__.__wrapped__  # type: ignore[misc]
    assert generated.__defaults__ == twin.__init__.__defaults__  # type: ignore[misc]
    assert generated.__kwdefaults__ == twin.__init__.__kwdefaults__  # type: ignore[misc]
    assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"  # type: ignore[misc]


def test_a_factory_default_is_new_per_instance() -> None:
    first, second = Variant("chr7", 1, "A", "T", 1), Variant("chr7", 1, "A", "T", 1)
    assert first.annotations == {}
    assert first.annotations is not second.annotations
    sample = _Sample(1)
    assert sample.items == []
    assert sample.items is not _Sample(1).items
    assert sample.hidden == 7
    assert sample.made == {}
    assert not hasattr(sample, "unset")


# Calls the generated __init__ refuses too (mypy sees that they are wrong).
@pytest.mark.parametrize(
    "call",
    [
        lambda: Variant("chr7", 1, "A", "T"),  # type: ignore[call-arg]
        lambda: Variant("chr7", 1, "A", "T", 1, *range(14)),
        lambda: Variant("chr7", 1, "A", "T", 1, colour="red"),  # type: ignore[call-arg]
        lambda: Variant("chr7", 1, "A", "T", 1, chrom="chr1"),  # type: ignore[misc]
        lambda: _Sample(1, "x", [], True),  # type: ignore[call-arg]
        lambda: _Sample(1, hidden=3),  # type: ignore[call-arg]
    ],
    ids=["missing", "too-many", "unknown", "twice", "keyword-only", "init-false"],
)
def test_wrong_calls_raise_type_error(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


def test_a_failing_call_gives_the_class_back() -> None:
    made = object.__new__(Variant)
    with pytest.raises(TypeError):
        made.__init__("chr7")  # type: ignore[misc]
    assert type(made) is Variant


def test_still_frozen_and_picklable() -> None:
    variant = Variant("chr7", 140753336, "A", "T", 3, vaf=0.25, annotations={"CSQ": "x"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        variant.chrom = "chr1"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del variant.pos
    assert pickle.loads(pickle.dumps(variant)) == variant
    assert dataclasses.replace(variant, pos=5) == Variant("chr7", 5, "A", "T", 3, vaf=0.25)


def test_refuses_what_it_cannot_replace() -> None:
    @dataclasses.dataclass(slots=True)
    class Mutable:
        value: int

    @dataclasses.dataclass(frozen=True)
    class Unslotted:
        value: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            pass

    @dataclasses.dataclass(frozen=True, slots=True)
    class Derived(_Sample):
        extra: int = 0

    for cls in (Mutable, Unslotted, Checked, Derived):
        with pytest.raises(TypeError):
            fast_init(cls)
