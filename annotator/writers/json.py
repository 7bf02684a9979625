"""The JSON result: the contract other tools and our own checks rely on (``schema_version``).

:func:`write_json` writes the document exactly as ``json.dump(result_to_dict(result), stream,
indent=2, ensure_ascii=False)`` would, but without building it whole first (its arrays, the
unclassified variants above all, are converted an item at a time) and without the standard
library's indenting encoder, which is pure Python and writes to the stream chunk by chunk.
The unclassified variants, most of a large result, are written from one text template.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from annotator.models import (
    Alteration,
    EvidenceLevel,
    Finding,
    NearMiss,
    Result,
    TherapyCall,
    Unclassified,
    Variant,
)
from annotator.noted import UnclassifiedList, listed_row

#: 1.1: finding ``subclonal``, ``phase``, ``phase_source``, ``therapies_via_class``; therapy
#: call ``sensitivity_level`` and ``resistance_level``; ``near_misses``. 1.2: summary
#: ``skipped_filtered_in_rule_genes``, ``alleles_not_in_sample``. 1.3: summary
#: ``skipped_filtered_in_rule_genes_by_filter``. 1.4: ``biomarkers.msi``, finding
#: ``rule_tumor_types_excluded``.
SCHEMA_VERSION = "1.4"


def result_to_dict(result: Result) -> dict[str, Any]:
    return _document(result, list)


def _document(result: Result, items: Callable[[Iterable[Any]], Any]) -> dict[str, Any]:
    """The JSON document of a result; ``items`` makes each of its arrays of records (a list,
    or a :class:`_Items` that converts them as they are written)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": result.tool_version,
        "rules": {"version": result.rules_version, "sha256": result.rules_sha256},
        "input": result.input,
        "sample": result.sample,
        "tumor_type": result.tumor_type,
        "genome": result.genome,
        "caller": result.caller,
        "research_use_only": True,
        "findings": items(finding_to_dict(f) for f in result.findings),
        "therapy_calls": items(therapy_call_to_dict(c) for c in result.therapy_calls),
        "unclassified": items(unclassified_to_dict(u) for u in result.unclassified),
        "filtered_findings": items(
            {**finding_to_dict(finding), "filter_reason": reason}
            for finding, reason in result.filtered_findings
        ),
        "events": items(event_to_dict(e) for e in result.events),
        "near_misses": items(near_miss_to_dict(m) for m in result.near_misses),
        "biomarkers": {"tmb": result.tmb, "msi": result.msi},
        "input_notes": list(result.notes),
        "summary": {
            "records": result.summary.records,
            "alleles": result.summary.alleles,
            "skipped_filtered": result.summary.skipped_filtered,
            "skipped_filtered_in_rule_genes": result.summary.skipped_filtered_in_rule_genes,
            "skipped_filtered_in_rule_genes_by_filter": dict(
                result.summary.skipped_filtered_in_rule_genes_by_filter
            ),
            "alleles_annotated": result.summary.alleles_annotated,
            "alleles_filtered": result.summary.alleles_filtered,
            "alleles_in_rule_genes": result.summary.alleles_in_rule_genes,
            "alleles_not_in_sample": result.summary.alleles_not_in_sample,
            "alleles_outside_rule_genes": result.summary.alleles_outside_rule_genes,
            "findings": result.summary.findings,
            "unclassified": result.summary.unclassified,
            # Only when set: the indexed path read the rule regions, not every record.
            **({"regions_only": True} if result.summary.regions_only else {}),
        },
    }


def variant_to_dict(variant: Variant | None) -> dict[str, Any] | None:
    if variant is None:
        return None
    data: dict[str, Any] = variant.as_dict()
    if variant.filters:
        data["filters"] = list(variant.filters)
    return data


def round_vaf(vaf: float | None) -> float | None:
    return None if vaf is None else round(vaf, 4)


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    variant = finding.variant
    return {
        "rule_id": finding.rule_id,
        "gene": finding.gene,
        "alteration": finding.alteration,
        "detail": finding.detail,
        "hgvsp": finding.hgvsp,
        "hgvsc": finding.hgvsc,
        "transcript": finding.transcript,
        "variant": variant_to_dict(variant),
        "vaf": round_vaf(variant.vaf) if variant else None,
        "depth": variant.depth if variant else None,
        "effect": finding.effect.value,
        "therapies": list(finding.therapies),
        "therapies_via_class": [
            {"therapy": therapy, "class": name} for therapy, name in finding.therapies_via_class
        ],
        "evidence_level": finding.evidence_level.value,
        "tumor_type_match": finding.tumor_type_match.value,
        "rule_tumor_types": list(finding.rule_tumor_types),
        "rule_tumor_types_excluded": list(finding.rule_tumor_types_excluded),
        "match_type": finding.match_type.value,
        "citations": list(finding.citations),
        "notes": finding.notes,
        "subclonal": finding.subclonal,
        "phase": finding.phase,
        "phase_source": finding.phase_source,
    }


def event_to_dict(event: Alteration) -> dict[str, Any]:
    return {
        "gene": event.gene,
        "event": event.event,
        "source": event.source,
        "detail": event.detail,
    }


def therapy_call_to_dict(call: TherapyCall) -> dict[str, Any]:
    return {
        "therapy": call.therapy,
        "call": call.call.value,
        "evidence_level": call.evidence_level.value,
        "sensitivity_level": _level(call.sensitivity_level),
        "resistance_level": _level(call.resistance_level),
        "rule_ids": list(call.rule_ids),
        "rationale": call.rationale,
    }


def _level(level: EvidenceLevel | None) -> str | None:
    return None if level is None else level.value


def near_miss_to_dict(miss: NearMiss) -> dict[str, Any]:
    return {
        "rule_id": miss.rule_id,
        "gene": miss.gene,
        "alteration": miss.alteration,
        "variant": variant_to_dict(miss.variant),
        "reason": miss.reason.value,
        "detail": miss.detail,
    }


def unclassified_to_dict(item: Unclassified) -> dict[str, Any]:
    return {"gene": item.gene, "variant": variant_to_dict(item.variant), "reason": item.reason}


def write_json(result: Result, stream: IO[str]) -> None:
    writer = _IndentedWriter(stream)
    document = _document(result, _Items)
    document["findings"] = _FindingItems(result.findings)
    document["unclassified"] = _UnclassifiedItems(result.unclassified)
    writer.value(document, 0)
    writer.write("\n")
    writer.flush()


class _Items:
    """An array of the document whose items are made as they are written."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


class _UnclassifiedItems(_Items):
    """The unclassified variants (most of a large result), which the writer writes from
    one template (:meth:`_IndentedWriter.unclassified`), not as dicts."""

    __slots__ = ()

    @property
    def source(self) -> Sequence[Unclassified]:
        return self._items  # type: ignore[return-value]


class _FindingItems(_Items):
    """The findings, which the writer writes from their fields and the texts of their rules'
    parts (:meth:`_IndentedWriter.findings`), not as dicts."""

    __slots__ = ()

    @property
    def source(self) -> Sequence[Finding]:
        return self._items  # type: ignore[return-value]


#: The keys of a finding's dict that its rule and tumor type decide, in the dict's order: one
#: text for each distinct :func:`_rule_part_key` (a large result repeats a few rules).
_RULE_PART = (
    "effect",
    "therapies",
    "therapies_via_class",
    "evidence_level",
    "tumor_type_match",
    "rule_tumor_types",
    "rule_tumor_types_excluded",
    "match_type",
    "citations",
    "notes",
)


def _rule_part_key(finding: Finding) -> tuple[Any, ...]:
    """Every field of a finding that :func:`finding_to_dict` makes the ``_RULE_PART`` values
    from (tests/test_json_writer_findings.py changes each field in turn)."""
    return (
        finding.effect,
        finding.therapies,
        finding.therapies_via_class,
        finding.evidence_level,
        finding.tumor_type_match,
        finding.rule_tumor_types,
        finding.rule_tumor_types_excluded,
        finding.match_type,
        finding.citations,
        finding.notes,
    )


_MISSING = object()
#: Parts written out at a time. An unclassified item is one part of ~300 bytes, made for it:
#: 8192 of them, and their join, put 7 MB on the peak memory of a 5M-record run.
_FLUSH_PARTS = 1024
_encode_string = json.encoder.encode_basestring  # as json.dump with ensure_ascii=False


class _IndentedWriter:
    """JSON text as ``json.dump(value, stream, indent=2, ensure_ascii=False)`` writes it, in
    parts gathered and written a few thousand at a time."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._parts: list[str] = []
        self._keys: dict[tuple[str, int, bool], str] = {}

    def write(self, text: str) -> None:
        self._parts.append(text)

    def flush(self) -> None:
        if self._parts:
            self._stream.write("".join(self._parts))
            self._parts.clear()

    def value(self, value: Any, level: int) -> None:
        parts = self._parts
        # The order of the checks is json's own (a bool is an int; a str enum is a str).
        if isinstance(value, str):
            parts.append(_encode_string(value))
        elif value is None:
            parts.append("null")
        elif value is True:
            parts.append("true")
        elif value is False:
            parts.append("false")
        elif isinstance(value, int):
            parts.append(int.__repr__(value))
        elif isinstance(value, float):
            parts.append(_float_text(value))
        elif isinstance(value, (list, tuple, _Items)):
            self._array(value, level)
        elif isinstance(value, dict):
            self._object(value, level)
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    def _array(self, values: Iterable[Any], level: int) -> None:
        if type(values) is _UnclassifiedItems:
            self.unclassified(values, level)
            return
        if type(values) is _FindingItems:
            self.findings(values, level)
            return
        parts = self._parts
        items = iter(values)
        first = next(items, _MISSING)
        if first is _MISSING:
            parts.append("[]")
            return
        inner = "\n" + "  " * (level + 1)
        parts.append("[" + inner)
        self.value(first, level + 1)
        separator = "," + inner
        for item in items:
            parts.append(separator)
            self.value(item, level + 1)
            if len(parts) >= _FLUSH_PARTS:
                self.flush()
        parts.append("\n" + "  " * level + "]")

    def unclassified(self, items: _UnclassifiedItems, level: int) -> None:
        """The array of ``unclassified_to_dict`` of ``items`` at ``level``, each item of the
        usual types (str, int, a plain ``Variant``) from one template: the first such item is
        also written from its dict, and the dicts are written throughout if the texts differ
        (a field the template does not know). The noted alleles of an
        :class:`~annotator.noted.UnclassifiedList` are written from their rows' fields, with
        no ``Unclassified`` made."""
        parts = self._parts
        inner = "\n" + "  " * (level + 1)
        at_key, at_field, at_filter = ("\n" + "  " * (level + n) for n in (2, 3, 4))
        lead, after = "[" + inner, "," + inner
        ref, alt = ("," + at_field + f'"{key}": ' for key in ("ref", "alt"))
        filters, filter_after = "," + at_field + '"filters": [' + at_filter, "," + at_filter
        filters_end = "\n" + "  " * (level + 3) + "]"
        # The text before the position and the one after the alleles, made once for each gene
        # and chromosome (head) and each reason (tail), and kept at hand for the next item,
        # which mostly has the same ones.
        gene_key = "{" + at_key + '"gene": '
        chrom_key = "," + at_key + '"variant": {' + at_field + '"chrom": '
        pos_key = "," + at_field + '"pos": '
        reason_key = "\n" + "  " * (level + 2) + "}," + at_key + '"reason": '
        end = "\n" + "  " * (level + 1) + "}"
        heads = _Texts(lambda gene, chrom: gene_key + gene + chrom_key + chrom + pos_key)
        tails = _Texts(lambda reason: reason_key + reason + end)
        last_gene = last_chrom = last_reason = head = tail = None
        alleles: dict[str, str] = {}  # REF and ALT texts (single bases recur)
        template: bool | None = None  # whether it gives the dict's text: not known yet
        source = items.source
        rows = source.rows() if isinstance(source, UnclassifiedList) else map(listed_row, source)
        for row in rows:
            _record, _alt_index, gene, chrom, pos, ref_allele, alt_allele, names, reason = row[:9]
            item, number = row[9], row[10]
            if (
                template is not False
                and type(pos) is int
                and (number >= 0 or (type(item) is Unclassified and type(item.variant) is Variant))
            ):
                if gene != last_gene or chrom != last_chrom:
                    last_gene, last_chrom, head = gene, chrom, heads.text(gene, chrom)
                if reason != last_reason:
                    last_reason, tail = reason, tails.text(reason)
                ref_text = alleles.get(ref_allele) or _remember_text(alleles, ref_allele)
                alt_text = alleles.get(alt_allele) or _remember_text(alleles, alt_allele)
                listed: str | None = ""
                if names:
                    listed = _filters_text(names, filters, filter_after, filters_end)
                if head and tail and ref_text and alt_text and listed is not None:
                    # One part per item, its separator included (pos is an int: as repr).
                    text = f"{lead}{head}{pos}{ref}{ref_text}{alt}{alt_text}{listed}{tail}"
                    if template is None:
                        made = unclassified_to_dict(UnclassifiedList.item(row))
                        template = text == lead + _text(made, level + 1)
                    if template:
                        lead = after
                        parts.append(text)
                        if len(parts) >= _FLUSH_PARTS:
                            self.flush()
                        continue
            parts.append(lead)
            lead = after
            self.value(unclassified_to_dict(UnclassifiedList.item(row)), level + 1)
            if len(parts) >= _FLUSH_PARTS:
                self.flush()
        parts.append("[]" if lead != after else "\n" + "  " * level + "]")

    def findings(self, items: _FindingItems, level: int) -> None:
        """The array of ``finding_to_dict`` of ``items`` at ``level``: each finding from its
        fields and the text of its rule part (made once per :func:`_rule_part_key`), as long
        as the fields are of their usual types (str or None, a plain ``Variant``, a float
        VAF, an int depth, a bool); the first such finding is also written from its dict, and
        all are written from their dicts if the texts differ."""
        parts = self._parts
        inner = "\n" + "  " * (level + 1)
        lead, after = "[" + inner, "," + inner
        keys = [
            ("{" if n == 0 else ",") + "\n" + "  " * (level + 2) + f'"{key}": '
            for n, key in enumerate(
                ("rule_id", "gene", "alteration", "detail", "hgvsp", "hgvsc", "transcript")
            )
        ]
        at_key = "," + "\n" + "  " * (level + 2)
        variant_key, vaf_key, depth_key = (
            at_key + f'"{key}": ' for key in ("variant", "vaf", "depth")
        )
        tail_keys = [at_key + f'"{key}": ' for key in ("subclonal", "phase", "phase_source")]
        end = "\n" + "  " * (level + 1) + "}"
        at_field = "\n" + "  " * (level + 3)
        chrom_key = "{" + at_field + '"chrom": '
        pos_key, ref_key, alt_key = ("," + at_field + f'"{key}": ' for key in ("pos", "ref", "alt"))
        variant_end = "\n" + "  " * (level + 2) + "}"
        rule_parts: dict[tuple[Any, ...], str] = {}
        texts: dict[Any, str] = {None: "null"}  # the JSON texts of str and None values met
        template: bool | None = None  # whether it gives the dict's text: not known yet
        for finding in items.source:
            parts.append(lead)
            lead = after
            text = (
                self._finding_text(
                    finding,
                    level + 1,
                    rule_parts,
                    texts,
                    (keys, variant_key, vaf_key, depth_key, tail_keys, end),
                    (chrom_key, pos_key, ref_key, alt_key, variant_end),
                )
                if template is not False
                else None
            )
            if text is not None and template is None:
                template = text == _text(finding_to_dict(finding), level + 1)
            if text is not None and template:
                parts.append(text)
            else:
                self.value(finding_to_dict(finding), level + 1)
            if len(parts) >= _FLUSH_PARTS:
                self.flush()
        parts.append("[]" if lead != after else "\n" + "  " * level + "]")

    def _finding_text(
        self,
        finding: Finding,
        level: int,
        rule_parts: dict[tuple[Any, ...], str],
        texts: dict[Any, str],
        layout: tuple[list[str], str, str, str, list[str], str],
        variant_layout: tuple[str, str, str, str, str],
    ) -> str | None:
        """A finding's text at ``level`` from its fields; None when one is not of its usual
        type (the caller writes its dict)."""
        keys, variant_key, vaf_key, depth_key, tail_keys, end = layout
        head = []
        for key, value in zip(
            keys,
            (
                finding.rule_id,
                finding.gene,
                finding.alteration,
                finding.detail,
                finding.hgvsp,
                finding.hgvsc,
                finding.transcript,
            ),
            strict=True,
        ):
            value_text = texts.get(value) or _remember_text_or_null(texts, value)
            if not value_text:
                return None
            head.append(key + value_text)
        variant = finding.variant
        if variant is None:
            variant_text, vaf, depth = "null", None, None
        else:
            if type(variant) is not Variant or variant.filters:
                return None
            chrom_key, pos_key, ref_key, alt_key, variant_end = variant_layout
            chrom, pos, ref, alt = variant.chrom, variant.pos, variant.ref, variant.alt
            chrom_text = texts.get(chrom) or _remember_text(texts, chrom)
            ref_text = texts.get(ref) or _remember_text(texts, ref)
            alt_text = texts.get(alt) or _remember_text(texts, alt)
            if type(pos) is not int or not (chrom_text and ref_text and alt_text):
                return None
            variant_text = (
                f"{chrom_key}{chrom_text}{pos_key}{pos}{ref_key}{ref_text}"
                f"{alt_key}{alt_text}{variant_end}"
            )
            vaf, depth = round_vaf(variant.vaf), variant.depth
        if vaf is None:
            vaf_text = "null"
        elif type(vaf) is float:
            vaf_text = _float_text(vaf)
        else:
            return None
        if depth is None:
            depth_text = "null"
        elif type(depth) is int:
            depth_text = int.__repr__(depth)
        else:
            return None
        rule_key = _rule_part_key(finding)
        rule_part = rule_parts.get(rule_key)
        if rule_part is None:
            made = finding_to_dict(finding)
            whole = _text({key: made[key] for key in _RULE_PART}, level)
            # '{' and the closing line of the object go: the part follows the depth.
            rule_part = rule_parts[rule_key] = "," + whole[1 : whole.rindex("\n")]
        subclonal = finding.subclonal
        if type(subclonal) is not bool:
            return None
        tail = [tail_keys[0] + ("true" if subclonal else "false")]
        for key, value in zip(tail_keys[1:], (finding.phase, finding.phase_source), strict=True):
            value_text = texts.get(value) or _remember_text_or_null(texts, value)
            if not value_text:
                return None
            tail.append(key + value_text)
        return (
            "".join(head)
            + f"{variant_key}{variant_text}{vaf_key}{vaf_text}{depth_key}{depth_text}"
            + rule_part
            + "".join(tail)
            + end
        )

    def _object(self, mapping: dict[Any, Any], level: int) -> None:
        parts = self._parts
        if not mapping:
            parts.append("{}")
            return
        inner = "\n" + "  " * (level + 1)
        first = True
        for key, value in mapping.items():
            # The separator, key and colon as one part (the same keys recur in every item).
            lead = self._keys.get((key, level, first)) if type(key) is str else None
            if lead is None:
                lead = ("{" if first else ",") + inner + _encode_string(_key_text(key)) + ": "
                if type(key) is str:
                    self._keys[(key, level, first)] = lead
            parts.append(lead)
            first = False
            # Strings and plain ints (most values) without the general dispatch.
            kind = type(value)
            if kind is str:
                parts.append(_encode_string(value))
            elif kind is int:
                parts.append(int.__repr__(value))
            else:
                self.value(value, level + 1)
        parts.append("\n" + "  " * level + "}")


class _Texts:
    """Texts made by ``make`` from the JSON texts of string values, remembered by value; an
    empty text when a value is not a str (the item is then written from its dict). A value
    equal to a str already seen has that str's JSON text, so its type is checked only once."""

    __slots__ = ("_make", "_texts")

    def __init__(self, make: Callable[..., str]) -> None:
        self._make = make
        self._texts: dict[tuple[str, ...], str] = {}

    def text(self, *values: str) -> str:
        found = self._texts.get(values)
        if found is None:
            found = ""
            if all(type(value) is str for value in values):
                found = self._make(*map(_encode_string, values))
            self._texts[values] = found
        return found


def _remember_text(texts: dict[str, str], value: str) -> str:
    """The JSON text of a str, remembered in ``texts``; empty for another type."""
    if type(value) is not str:
        return ""
    text = texts[value] = _encode_string(value)
    return text


def _remember_text_or_null(texts: dict[Any, str], value: Any) -> str:
    """The JSON text of a str or None, remembered in ``texts``; empty for another type."""
    if value is None:
        return "null"
    return _remember_text(texts, value)


def _filters_text(names: tuple[str, ...], start: str, between: str, end: str) -> str | None:
    """The ``filters`` array of a variant in the unclassified template; None when a name is
    not a str."""
    if not all(type(name) is str for name in names):
        return None
    return start + between.join(map(_encode_string, names)) + end


def _text(value: Any, level: int) -> str:
    """``value`` as the writer writes it at ``level``."""
    stream = io.StringIO()
    writer = _IndentedWriter(stream)
    writer.value(value, level)
    writer.flush()
    return stream.getvalue()


def _float_text(value: float) -> str:
    """A float as json writes it (``NaN`` and ``Infinity`` allowed, as json.dump does)."""
    if math.isnan(value):
        return "NaN"
    if value == float("inf"):
        return "Infinity"
    if value == -float("inf"):
        return "-Infinity"
    return float.__repr__(value)


def _key_text(key: Any) -> str:
    """An object key as json writes it: strings as they are, numbers, bools and None as text."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float_text(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
