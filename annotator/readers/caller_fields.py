"""The tumor sample's VAF, depth and phase in one VCF record, as each variant caller writes them.

Each variant caller writes the tumor sample's variant allele fraction (VAF) and read depth in
fields of its own; :class:`annotator.readers.vcf.VcfReader` names the caller (from the header,
or ``--caller``) and reads each record's values through :data:`EVIDENCE_READERS`. Where a record
lacks a caller's own fields, the generic ones (last row) fill the gap. A VAF outside 0-1 is
dropped; a count-based VAF needs a non-zero denominator.

| caller | VAF of each ALT (FORMAT fields unless INFO) | depth |
| --- | --- | --- |
| `mutect2` | `AF` (Number=A), else `AD` | `DP` |
| `strelka2` | SNV: `{ALT}U` / (`{ALT}U` + `{REF}U`); indel: `TIR` / (`TIR` + `TAR`) | `DP` |
| `vardict` | `AF` (Number=A), else `AD` | `DP` |
| `freebayes` | `AO` / (`RO` + sum of `AO`) | `DP`, else `RO` + sum of `AO` |
| `varscan2` | `FREQ` (`12.5%` is 0.125), else `AD` / (`AD` + `RD`) | `DP` |
| `deepvariant` | `VAF` (Number=A), else `AD` | `DP` |
| `octopus` | `AF` (Number=R, REF first), else `AD` / `ADP` | `DP`, else `ADP` |
| `info` | INFO `TVAF`; with no sample column, INFO `AF` | INFO `TDP`, or INFO `DP` |
| `generic` | `AF` (Number=A), else `AD` (Number=R): ALT count / sum | `DP`, else sum of `AD` |

Notes: Strelka's counts come as "tier 1,tier 2"; tier 1 is taken, as Strelka's user guide
computes the somatic VAF (`AU`, `CU`, `GU`, `TU` hold the base counts). VarScan's `AD` is the
ALT depth alone (Number=1, not Number=R), and its percent `FREQ` is read only from a String
field (a FREQ rewritten as a Float has no telling scale, so `AD`/`RD` decide). Octopus writes
`AF`, `AD` and `ADP` only when asked for those annotations. Fields describing one ALT
(Strelka's `TIR`, VarScan's `FREQ`/`AD`) give no VAF on a multi-allelic record. INFO `AF` of a
sites-only file is read as the tumor's VAF only with ``caller="info"`` (``--caller info``):
in a sites-only file it is as often a population frequency, so ``auto`` does not read it.

Phase (``read_phase``): GATK's ``PGT``/``PID`` first, else a phased ``GT`` with ``PS`` (see the
reader's docstring, "Structural variants and phase").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

#: The bases Strelka counts in FORMAT ``AU``, ``CU``, ``GU`` and ``TU``.
_BASES = frozenset("ACGT")
#: numpy dtype kinds of the arrays cyvcf2 gives for numeric and for String FORMAT fields.
_NUMERIC_KINDS = frozenset("iuf")
_TEXT_KINDS = frozenset("USO")


class SampleFields:
    """One record's values: FORMAT for the chosen sample, INFO for the site, read on demand.

    Only fields the header declares are read (cyvcf2 raises KeyError for the others); FORMAT
    fields only when there is a chosen sample. Missing values come back as None.
    """

    __slots__ = ("_info", "_info_ids", "alts", "format_ids", "has_sample", "record", "ref")

    def __init__(
        self,
        record: Any,
        ref: str,
        alts: tuple[str, ...],
        format_ids: frozenset[str],
        info_ids: frozenset[str],
        *,
        has_sample: bool,
    ) -> None:
        self.record = record
        self.ref = ref
        self.alts = alts
        self.has_sample = has_sample
        self.format_ids = format_ids if has_sample else frozenset()
        self._info_ids = info_ids
        self._info: Any = None

    def integers(self, key: str) -> list[int | None] | None:
        return _integers(self.record, key, self.format_ids)

    def floats(self, key: str) -> list[float | None] | None:
        row = _sample_row(self.record, key) if key in self.format_ids else None
        if row is None:
            return None
        return [None if math.isnan(value) else float(value) for value in row.tolist()]

    def text(self, key: str) -> str | None:
        """A String FORMAT value (Number=1); None for numeric fields."""
        if key not in self.format_ids:
            return None
        values = self.record.format(key)
        if values is None or values.dtype.kind not in _TEXT_KINDS or len(values) == 0:
            return None
        value = values[0]
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        return field_text(value)

    def genotype(self) -> tuple[list[int], bool] | None:
        """The allele numbers of GT (-1 for ``.``) and whether GT is phased."""
        row = _genotype_row(self.record, self.format_ids)
        if row is None:
            return None
        return [int(allele) for allele in row[:-1]], bool(row[-1])

    def info_values(self, key: str) -> list[Any] | None:
        if key not in self._info_ids:
            return None
        if self._info is None:
            self._info = self.record.INFO
        value = self._info.get(key)
        if value is None:
            return None
        if isinstance(value, (tuple, list)):
            return list(value)
        return [value]

    def info_floats(self, key: str) -> list[float | None] | None:
        values = self.info_values(key)
        return None if values is None else [_float(value) for value in values]

    def info_integers(self, key: str) -> list[int | None] | None:
        values = self.info_values(key)
        return None if values is None else [info_integer(value) for value in values]


#: Per-ALT VAFs and the depth of one record, for the chosen sample.
_Evidence = tuple[list[float | None], int | None]
_EvidenceReader = Callable[[SampleFields], _Evidence]
#: And the phase: the phase set of the record and the haplotype of each ALT.
SampleEvidence = tuple[
    list[float | None], int | None, str | None, list[int | None], list[bool | None]
]


def read_generic(fields: SampleFields) -> _Evidence:
    """FORMAT AF (Number=A), else AD (Number=R) ALT / sum; depth DP, else the sum of AD."""
    return generic_evidence(fields.record, len(fields.alts), fields.format_ids)


def generic_evidence(record: Any, alt_count: int, format_ids: frozenset[str]) -> _Evidence:
    """:func:`read_generic` from the record itself (the common case, read without a
    ``SampleFields``): FORMAT AF (Number=A), else AD (Number=R) ALT / sum; depth DP, else the sum
    of AD. ``format_ids`` are the declared FORMAT fields (none without a chosen sample).

    AD is read only when it is needed: for a VAF AF does not give, or without DP.
    """
    # _sample_row written out for AF and DP: the first (the chosen) sample's numeric values.
    vafs: list[float | None] | None = None
    if "AF" in format_ids:
        try:
            array = record.format("AF")
        except KeyError:
            array = None
        if array is not None and array.dtype.kind in _NUMERIC_KINDS and len(array) != 0:
            values = array.tolist()[0]
            if len(values) == alt_count:
                # A fraction in 0-1, else None (NaN, cyvcf2's missing value, fails both).
                vafs = [value if 0.0 <= value <= 1.0 else None for value in map(float, values)]
    if vafs is None:
        vafs = [None] * alt_count
    depth: int | None = None
    if "DP" in format_ids:
        try:
            array = record.format("DP")
        except KeyError:
            array = None
        if array is not None and (kind := array.dtype.kind) in _NUMERIC_KINDS and len(array) != 0:
            values = array.tolist()[0]
            if values:
                # Integers: missing and padding values are negative sentinels.
                first = values[0]
                depth = _count(first) if kind == "f" else (first if first >= 0 else None)
    if depth is None or None in vafs:
        counts = _allele_counts(_integers(record, "AD", format_ids), alt_count)
        if counts is not None:
            total = sum(counts)
            if depth is None:
                depth = total
            vafs = [
                vaf if vaf is not None else _ratio(counts[index + 1], total)
                for index, vaf in enumerate(vafs)
            ]
    return vafs, depth


def _read_strelka2(fields: SampleFields) -> _Evidence:
    """Strelka somatic: tier-1 {ALT}U / ({ALT}U + {REF}U) for SNVs, TIR / (TIR + TAR) for indels."""
    alt_count = len(fields.alts)
    depth = _first(fields.integers("DP"))
    vafs: list[float | None] = [None] * alt_count
    indel_reads = _first(fields.integers("TIR"))
    if indel_reads is not None:  # an indel record: TIR and TAR describe its one indel allele
        other_reads = _first(fields.integers("TAR"))
        if alt_count == 1 and other_reads is not None:
            vafs[0] = _ratio(indel_reads, indel_reads + other_reads)
        return vafs, depth
    ref_reads = _tier1_base_count(fields, fields.ref)
    if ref_reads is None:
        return vafs, depth
    for index, alt in enumerate(fields.alts):
        alt_reads = _tier1_base_count(fields, alt)
        if alt_reads is not None:
            vafs[index] = _ratio(alt_reads, alt_reads + ref_reads)
    return vafs, depth


def _tier1_base_count(fields: SampleFields, base: str) -> int | None:
    """Strelka's tier-1 count of one base: the first value of FORMAT AU, CU, GU or TU."""
    base = base.upper()
    if base not in _BASES:
        return None
    return _first(fields.integers(f"{base}U"))


def _read_freebayes(fields: SampleFields) -> _Evidence:
    """FreeBayes: AO / (RO + sum of AO); depth DP, else RO + sum of AO."""
    alt_count = len(fields.alts)
    depth = _first(fields.integers("DP"))
    vafs: list[float | None] = [None] * alt_count
    alt_values = fields.integers("AO") or []
    alt_reads = [count for count in alt_values if count is not None]
    ref_reads = _first(fields.integers("RO"))
    if len(alt_reads) == alt_count == len(alt_values) and ref_reads is not None:
        total = ref_reads + sum(alt_reads)
        vafs = [_ratio(count, total) for count in alt_reads]
        if depth is None:
            depth = total
    return vafs, depth


def _read_varscan2(fields: SampleFields) -> _Evidence:
    """VarScan 2: FREQ ("12.5%"), else AD / (AD + RD) with AD the ALT depth; depth DP."""
    alt_count = len(fields.alts)
    depth = _first(fields.integers("DP"))
    if alt_count != 1:
        return [None] * alt_count, depth  # FREQ, AD and RD describe one ALT
    vaf = _fraction(_percent(fields.text("FREQ")))
    if vaf is None:
        alt_values = fields.integers("AD")
        alt_reads = alt_values[0] if alt_values is not None and len(alt_values) == 1 else None
        ref_reads = _first(fields.integers("RD"))
        if alt_reads is not None and ref_reads is not None:
            vaf = _ratio(alt_reads, alt_reads + ref_reads)
    return [vaf], depth


def _read_deepvariant(fields: SampleFields) -> _Evidence:
    """DeepVariant: FORMAT VAF (Number=A); depth DP (AD via the generic fallback)."""
    alt_count = len(fields.alts)
    vafs = _per_alt(fields.floats("VAF"), alt_count) or [None] * alt_count
    return vafs, _first(fields.integers("DP"))


def _read_octopus(fields: SampleFields) -> _Evidence:
    """Octopus: FORMAT AF (Number=R, REF first), else AD / ADP; depth DP, else ADP."""
    alt_count = len(fields.alts)
    assigned = _first(fields.integers("ADP"))
    depth = _first(fields.integers("DP"))
    if depth is None:
        depth = assigned
    fractions = fields.floats("AF")
    if fractions is not None and len(fractions) == alt_count + 1:
        return fractions[1:], depth
    counts = fields.integers("AD")
    if counts is not None and len(counts) == alt_count + 1:
        return [_ratio(count, assigned) for count in counts[1:]], depth
    return [None] * alt_count, depth


def _read_info(fields: SampleFields) -> _Evidence:
    """INFO TVAF / TDP (PCGR); for a file without sample column, INFO AF / DP."""
    alt_count = len(fields.alts)
    vafs = _per_alt(fields.info_floats("TVAF"), alt_count)
    depth = _first(fields.info_integers("TDP"))
    if not fields.has_sample:
        if vafs is None:
            vafs = _per_alt(fields.info_floats("AF"), alt_count)
        if depth is None:
            depth = _first(fields.info_integers("DP"))
    return vafs or [None] * alt_count, depth


EVIDENCE_READERS: dict[str, _EvidenceReader] = {
    "mutect2": read_generic,  # GATK's FORMAT AF, AD and DP are the generic fields
    "strelka2": _read_strelka2,
    "vardict": read_generic,  # VarDict writes FORMAT AF (Number=A), AD (Number=R) and DP
    "freebayes": _read_freebayes,
    "varscan2": _read_varscan2,
    "deepvariant": _read_deepvariant,
    "octopus": _read_octopus,
    "info": _read_info,
    "generic": read_generic,
}


def read_with_fallback(reader: _EvidenceReader, fields: SampleFields) -> _Evidence:
    """The caller's VAFs and depth; a VAF outside 0-1 is dropped; gaps filled generically."""
    if reader is read_generic:
        return reader(fields)  # its VAFs are fractions in 0-1 or None already
    vafs, depth = reader(fields)
    vafs = [_fraction(vaf) for vaf in vafs]
    if depth is None or None in vafs:
        generic_vafs, generic_depth = read_generic(fields)
        vafs = [
            own if own is not None else other for own, other in zip(vafs, generic_vafs, strict=True)
        ]
        if depth is None:
            depth = generic_depth
    return vafs, depth


def read_phase(fields: SampleFields) -> tuple[str | None, list[int | None]]:
    """The phase set of the record and, per ALT, the haplotype carrying it (or None)."""
    alt_count = len(fields.alts)
    unknown: list[int | None] = [None] * alt_count
    if not fields.has_sample:
        return None, unknown
    called = fields.genotype()
    physical = fields.text("PGT")
    group = fields.text("PID")
    if physical is not None and group is not None and "|" in physical:
        # GATK physical phasing: PID links the records of one phasing group in the sample.
        phased = [_allele_number(allele) for allele in physical.split("|")]
        phase_set: str | None = group
    elif called is not None and called[1] and len(called[0]) >= 2:
        phased = list(called[0])
        phase_set = _phase_set_id(fields)
    else:
        return None, unknown
    haplotypes: list[int | None] = []
    for number in range(1, alt_count + 1):
        if called is not None and called[0].count(number) != 1:
            haplotypes.append(None)  # not in the genotype, or on more than one copy
            continue
        positions = [index for index, allele in enumerate(phased) if allele == number]
        haplotypes.append(positions[0] if len(positions) == 1 else None)
    return phase_set, haplotypes


def _phase_set_id(fields: SampleFields) -> str | None:
    """FORMAT PS as a string (an Integer by the spec; a String is taken as written)."""
    number = _first(fields.integers("PS"))
    if number is not None:
        return str(number)
    return fields.text("PS")


def _allele_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _sample_row(record: Any, key: str) -> Any:
    """The chosen sample's values of numeric FORMAT ``key`` in this record (a numpy row), or
    None if absent."""
    try:
        values = record.format(key)
    except KeyError:
        return None
    if values is None or values.dtype.kind not in _NUMERIC_KINDS or len(values) == 0:
        return None
    return values[0]


def _integers(record: Any, key: str, format_ids: frozenset[str]) -> list[int | None] | None:
    """The chosen sample's values of numeric FORMAT ``key`` as counts (None for missing ones),
    or None if absent or undeclared."""
    row = _sample_row(record, key) if key in format_ids else None
    if row is None:
        return None
    if row.dtype.kind == "f":
        return [_count(value) for value in row.tolist()]
    # Integers: missing and padding values are negative sentinels.
    return [value if value >= 0 else None for value in row.tolist()]


def _genotype_row(record: Any, format_ids: frozenset[str]) -> list[Any] | None:
    """The chosen sample's genotype as cyvcf2 gives it (its allele numbers, -1 for '.', then
    whether it is phased), or None without a GT."""
    if "GT" not in format_ids:
        return None
    try:
        genotypes = record.genotypes
    except Exception:  # cyvcf2 raises for a record whose FORMAT has no GT
        return None
    return genotypes[0] if genotypes else None


def carried_alleles(
    record: Any, alt_count: int, format_ids: frozenset[str], by_reads: bool
) -> list[bool | None] | None:
    """Per ALT, whether the chosen sample holds it: False when its GT calls other alleles
    only (0/0, or 0/2 for ALT 1) and, with ``by_reads``, when its AD gives the ALT no read
    while the site has reads, or its GT calls no allele ('./.') and its AD shows no read of
    the ALT either. None when nothing tells: no GT, or (without ``by_reads``) one that calls
    no allele: a caller that does not genotype the tumor says nothing.

    ``by_reads`` is for a VCF with other tumor samples, where an allele may be another
    tumor's: Mutect2 writes GT 0/1 for every tumor sample of a multi-sample call, so only the
    reads tell, and VCFs of several callings merged (bcftools merge) give the samples that
    did not call a record './.'. In a VCF of one sample (or of a tumor and the normals
    ``##normal_sample`` names) every allele was called as that sample's, and an AD without
    the ALT's reads (informative reads only, as GATK counts) does not undo the call."""
    row = _genotype_row(record, format_ids)
    called = {allele for allele in row[:-1] if allele >= 0} if row is not None else None
    carried: list[bool | None] | None = (
        [number in called for number in range(1, alt_count + 1)] if called else None
    )
    if not by_reads:
        return carried
    unread = _unread_alts(record, alt_count) if "AD" in format_ids else None
    no_call = row is not None and not called
    found: list[bool | None] = []
    for index in range(alt_count):
        if unread is not None and unread[index]:
            found.append(False)  # no read of it where the site has reads
        elif carried is not None:
            found.append(carried[index])
        elif no_call and unread is None:
            found.append(False)  # not called here, and no read of it: another sample's call
        else:
            found.append(None)
    return found


def _unread_alts(record: Any, alt_count: int) -> list[bool] | None:
    """Per ALT, whether the chosen sample's AD gives it no read while the site has reads;
    None when AD cannot tell (absent, not one integer per allele, a value missing, no reads).
    Read without :func:`_integers`' generality: it runs for every rule-gene allele of a VCF
    of several samples."""
    try:
        counts = record.format("AD").tolist()[0]  # None (AttributeError): not in this record
    except (KeyError, AttributeError, IndexError):
        return None
    if len(counts) != alt_count + 1 or not isinstance(counts[0], int):
        return None
    if min(counts) < 0 or not sum(counts):
        return None  # missing values and padding are negative sentinels
    if alt_count == 1:
        return [counts[1] == 0]
    return [count == 0 for count in counts[1:]]


def phased_genotype(record: Any, format_ids: frozenset[str]) -> bool:
    """Whether the chosen sample's GT is phased with two or more alleles (as
    :meth:`SampleFields.genotype` reads it): only then can GT alone place an ALT on a haplotype."""
    row = _genotype_row(record, format_ids)
    return row is not None and bool(row[-1]) and len(row) >= 3


def _count(value: float) -> int | None:
    """A non-negative count, or None for missing values (NaN, cyvcf2's negative sentinels)."""
    if math.isnan(value) or value < 0:
        return None
    return int(value)


def _first(values: Sequence[int | None] | None) -> int | None:
    return values[0] if values else None


def _per_alt(values: list[float | None] | None, alt_count: int) -> list[float | None] | None:
    """The values when there is one per ALT; None otherwise (cannot tell which is which)."""
    if values is None or len(values) != alt_count:
        return None
    return values


def _allele_counts(values: list[int | None] | None, alt_count: int) -> list[int] | None:
    """Counts for REF and every ALT (Number=R), or None if any is missing or they do not fit."""
    if values is None or len(values) != alt_count + 1:
        return None
    counts = [value for value in values if value is not None]
    return counts if len(counts) == len(values) else None


def _ratio(part: int | None, whole: int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def _fraction(value: float | None) -> float | None:
    """A VAF in 0-1, or None."""
    if value is None or math.isnan(value) or not 0.0 <= value <= 1.0:
        return None
    return value


def _percent(text: str | None) -> float | None:
    """VarScan's FREQ: ``12.5%`` is 0.125; anything else is None."""
    if text is None or not text.endswith("%"):
        return None
    number = _float(text[:-1])
    return None if number is None else number / 100


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def info_integer(value: Any) -> int | None:
    """An INFO integer (the first one of a list); None for missing values."""
    if isinstance(value, (tuple, list)):
        value = value[0] if value else None
    number = _float(value)
    if number is None or number < 0:
        return None
    return int(number)


def field_text(value: Any) -> str | None:
    text = str(value).strip()
    return None if text in ("", ".") else text


def per_alt_text(value: Any, alt_count: int) -> list[str | None]:
    """One string per ALT: split when the value has one part per ALT, else the whole for all."""
    if isinstance(value, (tuple, list)):
        parts = [str(part) for part in value]
        whole = ",".join(parts)
    else:
        whole = str(value)
        parts = whole.split(",")
    if len(parts) == alt_count:
        return [field_text(part) for part in parts]
    return [field_text(whole)] * alt_count
