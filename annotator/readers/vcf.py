"""Read VCF, VCF.gz and BCF files into ``Variant`` records: the annotator's reader over cyvcf2
(the header's tumor sample and caller: :mod:`annotator.readers.vcf_header`; htslib's own
messages: :mod:`annotator.readers.htslib_messages`).

cyvcf2 (over htslib) is fast but terse: it raises bare ``Exception``s, and on some inputs it
crashes the interpreter instead. This module stands between it and the rest of the annotator:

* before opening, the first bytes must be those of a VCF or BCF (``##fileformat=VCF`` or
  ``BCF\\2``, plain or gzip/BGZF-compressed), and a BGZF file must end with the BGZF
  end-of-file block; otherwise htslib may crash on garbage or silently stop at a truncation;
* any exception from cyvcf2 becomes an ``InputError`` with the path and the record number;
  the text of the file is then read again to name the problem and its line (no ``#CHROM``
  line, a sample named twice, too few columns, POS not a number, a FORMAT value not of its
  declared type, a gzip stream that ends early), as htslib's own messages are hidden;
* REF and ALT must be alleles (bases, ``*``, ``<ID>``, breakends): htslib keeps any text;
* a line htslib could not split into columns comes back as a record without alleles, whose
  ``REF`` would crash; it is recognised (no ALT, zero length) before anything else is read:
  an empty line is skipped, anything else is an error;
* cyvcf2 quirks avoided: ``VCF(lazy=True)`` crashes on ``Variant.FORMAT``; ``Variant.format``
  raises KeyError for a FORMAT field the header does not declare; integer values that are
  missing or padding come back as negative sentinels (-2147483648, -2147483647) and float
  ones as NaN; ``Variant.genotypes`` raises for a record whose FORMAT has no ``GT``.

Caller fields
-------------

Each variant caller writes the tumor sample's variant allele fraction (VAF) and read depth in
fields of its own (read by :mod:`annotator.readers.caller_fields`, whose docstring has the
table). ``VcfReader(path, caller="auto")`` recognises the caller by its header lines
(:func:`annotator.readers.vcf_header.detect_caller`)
(``reader.caller`` says which one it took); ``caller=`` names it instead.

``auto`` takes the caller named by the header:

| caller | header line |
| --- | --- |
| `mutect2` | `##source=Mutect2`, `##MutectVersion=`, `##GATKCommandLine=<ID=Mutect2,...>` |
| `strelka2` | `##source=strelka` (Strelka 1 and 2 somatic) |
| `vardict` | `##source=VarDict...` (`VarDict_v1.8.2`) |
| `freebayes` | `##source=freeBayes ...` |
| `varscan2` | `##source=VarScan2` |
| `deepvariant` | `##DeepVariant_version=`, `##source=DeepVariant` |
| `octopus` | `##octopus=<...>` |
| `info` | none of the above, and INFO `TVAF` or `TDP` declared |
| `generic` | none of the above; or two different callers named |

Structural variants and phase
-----------------------------

``Variant.end``, ``svtype`` and ``mate_id`` are INFO ``END``, ``SVTYPE`` and ``MATEID`` (when
the header declares them; a ``MATEID`` with one value per ALT is split). ``phase_set`` and
``haplotype`` place the ALT on a haplotype of the tumor sample:

* GATK physical phasing first: FORMAT ``PGT`` (``0|1``) with ``PID``. ``PID`` connects the
  records of one phasing group in the sample, so it is the phase set; the haplotype is the
  position of this ALT's allele number in ``PGT``.
* else a phased ``GT`` (``0|1``, ``1|2``): the haplotype is the position of this ALT's allele
  number in ``GT``, the phase set FORMAT ``PS`` as a string. A phased ``GT`` without ``PS``
  gives the haplotype but no phase set (the spec puts all such records in one set; we do not
  guess which records those are), so no cis/trans call is made from it.
* no haplotype when the ALT sits on more than one copy (``1|1``: on every haplotype, so
  neither cis nor trans alone describes it), is not in the genotype at all, or the genotype is
  unphased or haploid.
"""

from __future__ import annotations

import bisect
import gzip
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any

import cyvcf2

from annotator.errors import InputError, UnreadableRegion
from annotator.genome import normalize_chrom
from annotator.models import Variant
from annotator.readers.caller_fields import (
    EVIDENCE_READERS,
    SampleEvidence,
    SampleFields,
    carried_alleles,
    field_text,
    generic_evidence,
    info_integer,
    per_alt_text,
    phased_genotype,
    read_generic,
    read_phase,
    read_with_fallback,
)
from annotator.readers.htslib_messages import (
    htslib_errors,
)
from annotator.readers.index_later import index_later
from annotator.readers.vcf_diagnosis import (
    check_file,
    clip,
    diagnose,
    parse_structured,
)
from annotator.readers.vcf_header import (
    check_caller,
    choose_sample,
    detect_caller,
    header_values,
)
from annotator.tabix import sequence_names

#: INFO fields whose raw strings are kept in ``Variant.annotations`` (when the header declares
#: them).
ANNOTATION_KEYS = ("CSQ", "ANN", "BCSQ")

_SV_KEYS = ("END", "SVTYPE", "MATEID")

_READ_HINT = "check the file with 'bcftools view'"

# REF: bases (IUPAC ambiguity codes too: some references hold them at a few positions).
_REF = re.compile(r"[ACGTNRYSWKMBDHV]+", re.IGNORECASE)
# ALT: bases, the spanning deletion '*', a symbolic allele '<ID>' (gVCF's '<*>' included), a
# breakend 't[p[', 't]p]', ']p]t', '[p[t' (p is chrom:pos or <ctg>:pos), a single breakend
# '.t' or 't.'.
_ALT = re.compile(
    r"[ACGTN]+|\*|<[^<>]+>|[ACGTN]*[\[\]][^\[\]]+:[0-9]+[\[\]][ACGTN]*|\.[ACGTN]+|[ACGTN]+\.",
    re.IGNORECASE,
)
#: At most this many distinct REFs, ALT tuples and FILTER tuples are remembered per reader.
_KNOWN_VALUES = 4096
#: The annotations of a variant without any: one shared, empty mapping.
_NO_ANNOTATIONS: Mapping[str, str] = MappingProxyType({})

#: Sets a field of a frozen dataclass (a variant of :meth:`VcfReader.read_evidence` that no one
#: else holds yet), as a frozen dataclass's own ``__post_init__`` would.
_set_field = object.__setattr__


def is_bcf(path: Path) -> bool:
    """Whether ``path`` is a BCF file (compressed or not); False when it cannot be read."""
    try:
        with path.open("rb") as handle:
            head = handle.read(3)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as unpacked:
                head = unpacked.read(3)
    except (OSError, EOFError):
        return False
    return head == b"BCF"


@dataclass(frozen=True)
class VcfHeader:
    """What the annotator needs from a VCF header.

    ``samples`` are all samples of the file; ``sample`` is the chosen tumor sample (None for a
    sites-only file). ``contigs`` holds the ##contig lines that give a length. ``lines`` are
    the raw header lines, the ``#CHROM`` line included (for BCF: as htslib writes them out).
    """

    path: str
    samples: tuple[str, ...]
    sample: str | None
    info_descriptions: dict[str, str]
    contigs: dict[str, int]
    lines: tuple[str, ...]


#: Records read ahead by a reader (see VcfReader.__iter__), and the most annotation text a batch
#: holds: a batch ends early when its records' consequence annotations reach it (a VEP record
#: may carry hundreds of transcripts), so memory stays bounded whatever the records' size.
_READ_AHEAD = 256
_READ_AHEAD_TEXT = 4 << 20


class _HeldRecord:
    """A record read ahead whose variants' evidence is deferred (VcfReader.defer_evidence):
    the cyvcf2 record, its REF and ALTs as read, its number in the reading (for errors) and
    its evidence once read."""

    __slots__ = ("alts", "evidence", "read", "record", "ref")

    def __init__(self, record: Any, ref: str, alts: tuple[str, ...], read: int) -> None:
        self.record = record
        self.ref = ref
        self.alts = alts
        self.read = read
        self.evidence: SampleEvidence | None = None


#: The longest region read at once (a longer one is read in pieces, each a region of its own):
#: regions are what two processes claim (:meth:`VcfReader.read_regions`), so that they finish
#: together, and what one reads alone before it decides to start a worker (annotator.inputs).
#: A record that overlaps two pieces is read with the first (see ``_records``).
_REGION_PIECE = 20_000


class VcfReader:
    """One ``Variant`` per ALT allele of each record of a VCF, VCF.gz or BCF file.

    Records with FILTER values are included (``Variant.filters`` holds them; PASS and ``.``
    give ``()``). A record whose ALT is ``.`` yields nothing but counts in ``records_read``.
    Symbolic ALTs (``<DEL>``, breakends) are yielded as they are, with INFO ``END``,
    ``SVTYPE`` and ``MATEID``.

    ``caller`` chooses how VAF and depth are read (see "Caller fields" in the module
    docstring): ``"auto"`` detects it from the header; ``reader.caller`` is the one taken.

    Use as a context manager::

        with VcfReader(path, sample="TUMOR") as reader:
            for variant in reader:
                ...
    """

    def __init__(
        self, path: str | Path, *, sample: str | None = None, caller: str | None = "auto"
    ) -> None:
        self.path = str(path)
        self.records_read = 0
        #: With :meth:`skip_filtered`: the records failing FILTER (with an ALT) and their
        #: alleles, which were read and checked but yielded no variant.
        self.records_skipped = 0
        self.alleles_skipped = 0
        #: Of ``records_skipped``, those ``skip_filtered``'s ``counted_in`` takes, and how many
        #: of them fail each FILTER name.
        self.records_skipped_counted = 0
        self.filters_skipped_counted: Counter[str] = Counter()
        self._skip_filtered = False
        self._counted_in: Callable[[str, int, str], bool] | None = None
        # With defer_evidence, the variants of the records read ahead (see __iter__), by id,
        # with their record: what read_evidence fills them from.
        self._defer_evidence = False
        self._held: dict[int, tuple[Variant, _HeldRecord]] = {}
        self._regions: dict[str, list[tuple[int, int]]] | None = None
        self._numbers: Sequence[int] | None = None
        # With read_regions: the regions (contig, start, end) in the order read, the span of
        # them to read, and the number the record read last has (by its region).
        self._region_list: list[tuple[str, int, int]] | None = None
        self._span: tuple[int, int] | None = None
        self._region_number = 0
        # Values seen before, checked once and shared by the variants (many records repeat
        # them): chromosome names, REF strings, ALT tuples and FILTER tuples.
        self._chroms: dict[str, str] = {}
        self._refs: dict[str, str] = {}
        self._alt_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._filter_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
        requested_caller = check_caller(caller)
        check_file(self.path)
        # An indexed VCF.gz is opened without its index, which is loaded once regions are
        # read (see annotator.readers.index_later); else as it is.
        self._linked = index_later(self.path, self.index_path())
        try:
            self._vcf: Any = self._open()
        except Exception as exc:  # cyvcf2 raises bare Exception and OSError
            self._remove_link()
            found = diagnose(self.path, record=None)
            raise InputError(
                f"cannot read the VCF header: {found.problem}"
                if found.problem
                else "cannot read the VCF header: malformed header, or truncated or corrupt "
                f"file ({exc})",
                path=self.path,
                line=found.line,
                hint=_READ_HINT,
            ) from exc
        try:
            self.header = self._read_header(sample)
        except BaseException:
            self.close()
            raise
        #: The caller whose fields give VAF and depth: one of ``CALLERS``.
        self.caller: str = requested_caller or detect_caller(
            self.header.lines, self._info_ids, has_sample=self.header.sample is not None
        )
        self._read_evidence = EVIDENCE_READERS[self.caller]
        # Decided once per reader: the generic fields read without a SampleFields in between, and
        # a record's phase from its GT alone unless GATK's PGT and PID are both declared.
        self._has_sample = self.header.sample is not None
        self._generic = self._has_sample and self._read_evidence is read_generic
        self._gt_phase_only = self._has_sample and not {"PGT", "PID"} <= self._format_ids
        # With other tumor samples beside it, an ALT the chosen sample has no read of is not
        # its own (the normals Mutect2 names, ##normal_sample, call no somatic allele).
        normals = set(header_values(self.header.lines, "normal_sample"))
        self._carried_by_reads = self._has_sample and any(
            name != self.header.sample and name not in normals for name in self.header.samples
        )

    def _open(self) -> Any:
        """The cyvcf2 reader: through the link of :attr:`_linked` while the header's contig
        lines name every sequence of the index, else of the file itself (htslib then adds
        the sequences the header lacks from the index, as it reads the header)."""
        linked = self._linked
        if linked is None:
            return cyvcf2.VCF(self.path)
        opened = cyvcf2.VCF(linked.link)
        index = self.index_path()
        listed = sequence_names(index) if index is not None else None
        if listed is not None and set(listed) <= set(opened.seqnames):
            linked.opened()
            return opened
        opened.close()
        self._remove_link()
        return cyvcf2.VCF(self.path)

    def _remove_link(self) -> None:
        if self._linked is not None:
            self._linked.remove()
            self._linked = None

    def _read_header(self, requested: str | None) -> VcfHeader:
        lines = tuple(line for line in self._vcf.raw_header.splitlines() if line)
        try:
            samples = tuple(self._vcf.samples)
        except UnicodeDecodeError as error:  # cyvcf2 decodes the names strictly
            raise InputError(
                f"a sample name of the #CHROM line is not UTF-8 text ({error.reason} "
                f"{error.object[error.start : error.end]!r})",
                path=self.path,
                hint="rename the samples with 'bcftools reheader --samples'",
            ) from None
        chosen = choose_sample(samples, requested, lines, self.path)
        if chosen is not None and len(samples) > 1:
            self._vcf.set_samples([chosen])  # column 0 from now on; parses one sample only
        info_descriptions: dict[str, str] = {}
        contigs: dict[str, int] = {}
        format_ids: set[str] = set()
        for line in lines:
            kind, fields = parse_structured(line)
            if "ID" not in fields:
                continue
            if kind == "INFO":
                info_descriptions[fields["ID"]] = fields.get("Description", "")
            elif kind == "FORMAT":
                format_ids.add(fields["ID"])
            elif kind == "contig" and fields.get("length", "").isdigit():
                contigs[fields["ID"]] = int(fields["length"])
        # Consequence fields can only be parsed with their header line (its Description gives
        # the sub-field names), so only declared ones are read; this also saves a lookup each.
        self._annotation_keys = tuple(key for key in ANNOTATION_KEYS if key in info_descriptions)
        # Only query FORMAT fields the header declares: cyvcf2 raises KeyError for others.
        self._format_ids = frozenset(format_ids) if chosen is not None else frozenset()
        self._info_ids = frozenset(info_descriptions)
        self._sv_keys = tuple(key for key in _SV_KEYS if key in info_descriptions)
        return VcfHeader(
            path=self.path,
            samples=samples,
            sample=chosen,
            info_descriptions=info_descriptions,
            contigs=contigs,
            lines=lines,
        )

    def __enter__(self) -> VcfReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._vcf.close()
        self._remove_link()

    def index_path(self) -> Path | None:
        """The ``.tbi`` or ``.csi`` index beside a VCF.gz or BCF, if there is one."""
        for suffix in (".tbi", ".csi"):
            candidate = Path(self.path + suffix)
            if candidate.is_file():
                return candidate
        return None

    def restrict_to(self, regions: Mapping[str, Sequence[tuple[int, int]]]) -> None:
        """Read only the records overlapping ``regions`` (by chromosome without ``chr``: sorted,
        non-overlapping 1-based inclusive intervals) through the file's index.

        Records are then numbered in the order read, not in the file: ``records_read`` counts
        the records read and ``Variant.record_index`` is their number among those (by region
        with :meth:`read_regions`; either way in the order read). A record
        overlapping two regions is read once. A pass over the regions begins (the counts of
        records read and skipped start again from 0).
        """
        self._regions = {chrom: list(items) for chrom, items in regions.items()}
        self._region_list = None
        self._span = None
        self.records_read = self.records_skipped = self.alleles_skipped = 0
        self.records_skipped_counted = 0
        self.filters_skipped_counted = Counter()

    @property
    def regions(self) -> Mapping[str, Sequence[tuple[int, int]]]:
        """The regions of :meth:`restrict_to` (none before it)."""
        return self._regions or {}

    def region_count(self) -> int:
        """How many regions :meth:`restrict_to` gave, on the file's chromosomes."""
        return len(self._listed_regions())

    def region_lengths(self) -> list[int]:
        """The length in bases of each region, in the order read."""
        return [end - start + 1 for _contig, start, end in self._listed_regions()]

    def load_index(self) -> None:
        """Load the index now (the first region read does it otherwise), by asking for the
        first base of the first region's chromosome (its records, if any, are dropped)."""
        listed = self._listed_regions()
        if listed:
            self._fetch(f"{listed[0][0]}:1-1")

    def read_regions(self, first: int, end: int) -> None:
        """Read regions ``first`` to ``end - 1`` only (of :meth:`restrict_to`'s, in the order
        read), from now on, and number each record by its region: ``(region + 1) << 32``
        plus its place among that region's records read. Two processes reading different
        regions of a file so number their records in the order of one pass over all regions
        (:mod:`annotator.parts`); ``records_read`` goes on counting every record read."""
        self._span = (first, end)

    def skip_filtered(self, counted_in: Callable[[str, int, str], bool] | None = None) -> None:
        """Yield no variants for records that fail FILTER: their REF and ALT are checked as
        usual, and the records and their alleles only counted (``records_skipped``,
        ``alleles_skipped``; in ``records_skipped_counted`` too when ``counted_in(CHROM,
        POS, REF)`` is true). For a reader that would drop those variants anyway: VAF, depth
        and phase are then not read for them."""
        self._skip_filtered = True
        self._counted_in = counted_in

    def defer_evidence(self) -> None:
        """Yield variants without VAF, depth, phase set and haplotype (None) until
        :meth:`read_evidence` is asked for them, while the reader is still on their record: for
        a reader that lets most variants go before looking at their evidence (a record's FORMAT
        fields are then not unpacked). A malformed FORMAT field is then found only on a record
        asked for."""
        self._defer_evidence = True

    def read_evidence(self, variant: Variant) -> None:
        """Give a variant of the records read last (with :meth:`defer_evidence`: those of the
        batch the reader is yielding) its VAF, depth and phase. The variant must be one this
        reader yielded and no one else holds yet (it is changed in place: it has not been
        hashed nor shared)."""
        held = self._held_record(variant)
        evidence = held.evidence
        if evidence is None:
            try:
                evidence = self._evidence(held.record, held.ref, held.alts)
            except InputError:
                raise
            except Exception as exc:
                raise self._record_error(exc, held.read) from exc
            held.evidence = evidence
        fractions, depth, phase_set, haplotypes, carried = evidence
        index = variant.alt_index
        _set_field(variant, "vaf", fractions[index])
        _set_field(variant, "depth", depth)
        _set_field(variant, "phase_set", phase_set)
        _set_field(variant, "haplotype", haplotypes[index])
        _set_field(variant, "carried", carried[index])

    def read_carried(self, variant: Variant) -> None:
        """As :meth:`read_evidence`, but only whether the sample holds the variant's ALT
        (``Variant.carried``): all a VCF of several samples needs of an allele whose VAF and
        depth no output shows."""
        held = self._held_record(variant)
        if held.evidence is not None:
            carried = held.evidence[4]
        else:
            try:
                carried = self._carried(held.record, len(held.alts))
            except InputError:
                raise
            except Exception as exc:
                raise self._record_error(exc, held.read) from exc
        _set_field(variant, "carried", carried[variant.alt_index])

    def _held_record(self, variant: Variant) -> _HeldRecord:
        found = self._held.get(id(variant))
        if found is None or found[0] is not variant:
            raise RuntimeError("not a variant of the records read last")
        return found[1]

    def renumber(self, numbers: Sequence[int]) -> None:
        """Give the n-th record of this file the number ``numbers[n - 1]`` in its variants'
        ``record_index``: for a file of records picked from another one (the text prefilter)."""
        self._numbers = numbers

    def _records(self) -> Iterator[Any]:
        if self._regions is None:
            yield from self._vcf
            return
        listed = self._listed_regions()
        first, end = self._span if self._span is not None else (0, len(listed))
        index = first
        while index < end:
            contig, start, _stop = listed[index]
            # The regions after it that go on where it ends (the pieces of one region) are
            # read in one query; each record is numbered by the region its start is in.
            last = index
            while (
                last + 1 < end
                and listed[last + 1][0] == contig
                and listed[last + 1][1] == listed[last][2] + 1
            ):
                last += 1
            previous = listed[index - 1] if index else None
            if previous is not None and previous[0] != contig:
                previous = None
            starts = [listed[region][1] for region in range(index, last + 1)]
            numbers = [(region + 1) << 32 for region in range(index, last + 1)]
            for record in self._fetch(f"{contig}:{start}-{listed[last][2]}"):
                # Skip a record that overlaps the region before too: read there already
                # (cyvcf2's start is 0-based, its end 0-based exclusive, as htslib's).
                if previous is not None and (
                    record.start < previous[2] and record.end >= previous[1]
                ):
                    continue
                # A record that begins before the first region overlaps it: numbered there.
                at = max(bisect.bisect_right(starts, record.start + 1) - 1, 0)
                numbers[at] += 1
                self._region_number = numbers[at]
                yield record
            index = last + 1

    def _listed_regions(self) -> list[tuple[str, int, int]]:
        """The regions to read, by the file's chromosomes in the order of its records
        (:meth:`_contigs_in_file_order`), so that the records come in the order of a pass."""
        if self._region_list is None:
            assert self._regions is not None
            try:
                contigs = self._contigs_in_file_order(list(self._vcf.seqnames))
            except Exception as exc:
                raise self._index_error(exc) from exc
            self._region_list = [
                (contig, piece, min(piece + _REGION_PIECE - 1, end))
                for contig in contigs
                for start, end in self._regions.get(normalize_chrom(contig), ())
                for piece in range(start, end + 1, _REGION_PIECE)
            ]
        return self._region_list

    def _contigs_in_file_order(self, declared: list[str]) -> list[str]:
        """The chromosomes in the order the file's records have them. cyvcf2 lists them in the
        header's order, which a file need not follow (one sorted as text puts chr10 before
        chr2); a tabix index lists them as its records first named them
        (:func:`~annotator.tabix.sequence_names`). A BCF's index numbers them as its header
        does: that order is kept."""
        index = self.index_path()
        listed = sequence_names(index) if index is not None else None
        if listed is None:
            return declared
        indexed = set(listed)
        return listed + [contig for contig in declared if contig not in indexed]

    def _fetch(self, region: str) -> list[Any]:
        """The records of one region; cyvcf2 warns (an error under ``-W error``) when there
        are none, which is no problem here. A list: the warning filter must not outlive it."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="no intervals found")
            if self._linked is not None:
                try:
                    self._linked.expose_index()
                except OSError as exc:
                    error = self._index_error(exc)
                    self._remove_link()
                    raise error from exc
            try:
                with htslib_errors() as errors:
                    records = list(self._vcf(region))
            except Exception as exc:
                # cyvcf2 says "error loading tabix index for FILE" (or "... without tabix or
                # csi index for FILE") when the index fails; a record that cannot be read
                # raises too (an IndexError's "index out of range" among them), no fault of it.
                if "index for " not in str(exc):
                    raise
                raise self._index_error(exc) from exc
            finally:
                self._remove_link()  # the index is loaded (or could not be): its link goes
        if errors:
            raise UnreadableRegion(
                f"the records of {region} could not be read through the index "
                f"(htslib: {errors[0]})",
                path=self.path,
            )
        return records

    def _index_error(self, exc: Exception) -> InputError:
        index = self.index_path()
        told = str(exc)
        if self._linked is not None:  # cyvcf2 names the file it opened: the link
            told = told.replace(self._linked.link, self.path)
        return InputError(
            f"cannot read the index of the file{f' ({index.name})' if index else ''}: {told}",
            path=self.path,
            hint="re-create it with 'bcftools index' or 'tabix -p vcf', or read the whole file "
            "with --no-index",
        )

    def __iter__(self) -> Iterator[Variant]:
        """The variants of the records, read ``_READ_AHEAD`` records at a time (then yielded
        one by one): htslib's parsing of a run of records, then the caller's work on their
        variants, runs about 15% faster than one record at a time (the code and tables of each
        stay in the CPU's caches). ``records_read`` counts the records read ahead."""
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Variant]]:
        """The variants of the records in batches of ``_READ_AHEAD`` records (see
        :meth:`__iter__`); a batch's records are held for :meth:`read_evidence` until the next
        one is asked for."""
        records = iter(self._vcf) if self._regions is None else self._records()
        while True:
            self._held.clear()  # the batch before is gone by: its variants are not filled
            batch: list[Variant] = []
            ended = self._read_ahead(records, batch)
            if batch:
                yield batch
            if ended:
                return

    def _read_ahead(self, records: Iterator[Any], batch: list[Variant]) -> bool:
        """The variants of up to ``_READ_AHEAD`` records into ``batch``, fewer when their
        annotations reach ``_READ_AHEAD_TEXT`` characters (with their records held for
        :meth:`read_evidence` when deferred); True once the records have ended."""
        text = 0  # the annotation text of the batch so far
        for _ in range(_READ_AHEAD):
            number = self.records_read + 1
            try:
                record = next(records)
            except StopIteration:
                return True
            except InputError:
                raise  # the index's (a record's errors are told below)
            except Exception as exc:
                raise self._record_error(exc, number) from exc
            try:
                if _is_unsplit_line(record):
                    if record.CHROM == "":
                        continue  # an empty line: not a record
                    found = diagnose(self.path, record=number)
                    raise InputError(
                        "malformed record: "
                        + (found.problem or "the line could not be read as tab-separated columns"),
                        path=self.path,
                        line=found.line,
                        record=number,
                    )
                self.records_read = number
                if self._span is not None:
                    index = self._region_number
                elif self._numbers is not None:
                    index = self._numbers[number - 1]
                else:
                    index = number
                variants = self._variants(record, index, number)
            except InputError:
                raise
            except Exception as exc:
                raise self._record_error(exc, number) from exc
            batch.extend(variants)
            if variants and variants[0].annotations:  # one text for all the record's alleles
                text += sum(map(len, variants[0].annotations.values()))
                if text >= _READ_AHEAD_TEXT:
                    break
        return False

    def _record_error(self, exc: Exception, number: int) -> InputError:
        found = diagnose(self.path, record=number)
        return InputError(
            f"cannot read the record: {found.problem}"
            if found.problem
            else f"cannot read the record: malformed line, or truncated or corrupt file ({exc})",
            path=self.path,
            line=found.line,
            record=number,
            hint=_READ_HINT,
        )

    def _allele_error(self, what: str, allele: str, number: int, expected: str) -> InputError:
        return InputError(
            f"{what} {clip(allele)!r} is not a valid allele: expected {expected}",
            path=self.path,
            line=diagnose(self.path, record=number, to_the_end=False).line,
            record=number,
            hint=_READ_HINT,
        )

    def _variants(self, record: Any, number: int, read: int) -> list[Variant]:
        """The variants of a record (``number`` their ``record_index``, ``read`` the record's
        number in this reading, for errors); with :meth:`defer_evidence`, held with their
        record for :meth:`read_evidence` until the next batch is read."""
        known_ref = self._refs.get(raw_ref := record.REF)
        ref = known_ref if known_ref is not None else self._ref(raw_ref, number)
        alts = self._alt_tuples.get(raw_alts := tuple(record.ALT))
        if alts is None:
            alts = self._alts(raw_alts, number)
        if not alts:
            return []  # ALT '.': a site without an alternate allele
        names = record.FILTERS
        filters = self._filters(tuple(names)) if names else ()
        if filters and self._skip_filtered:
            self.records_skipped += 1
            self.alleles_skipped += len(alts)
            if self._counted_in is not None and self._counted_in(record.CHROM, record.POS, ref):
                self.records_skipped_counted += 1
                self.filters_skipped_counted.update(filters)
            return []
        chrom: str = record.CHROM
        chrom = self._chroms.setdefault(chrom, chrom)
        pos: int = record.POS
        variant_id: str | None = record.ID
        annotations: dict[str, str] = {}
        if self._annotation_keys:
            info = record.INFO
            for key in self._annotation_keys:
                value = info.get(key)
                if isinstance(value, str):
                    annotations[key] = value

        alt_count = len(alts)
        held: _HeldRecord | None = None
        if self._defer_evidence:
            held = _HeldRecord(record, ref, alts, read)
            fractions: list[float | None] = [None] * alt_count
            haplotypes: list[int | None] = [None] * alt_count
            carried: list[bool | None] = [None] * alt_count
            depth: int | None = None
            phase_set: str | None = None
        else:
            fractions, depth, phase_set, haplotypes, carried = self._evidence(record, ref, alts)
        if self._sv_keys:
            end, svtype, mate_ids = self._structural(record, alt_count)
        else:
            end, svtype, mate_ids = None, None, [None] * alt_count

        if alt_count == 1:
            variants = [
                Variant(
                    chrom,
                    pos,
                    ref,
                    alts[0],
                    number,
                    0,
                    alts,
                    filters,
                    fractions[0],
                    depth,
                    variant_id,
                    annotations or _NO_ANNOTATIONS,
                    end,
                    svtype,
                    mate_ids[0],
                    phase_set,
                    haplotypes[0],
                    carried[0],
                )
            ]
        else:
            # Each allele of a multi-allelic record gets its own copy of the annotations.
            variants = [
                Variant(
                    chrom,
                    pos,
                    ref,
                    alt,
                    number,
                    index,
                    alts,
                    filters,
                    fractions[index],
                    depth,
                    variant_id,
                    dict(annotations) if annotations else _NO_ANNOTATIONS,
                    end,
                    svtype,
                    mate_ids[index],
                    phase_set,
                    haplotypes[index],
                    carried[index],
                )
                for index, alt in enumerate(alts)
            ]
        if held is not None:
            for variant in variants:
                self._held[id(variant)] = (variant, held)
        return variants

    def _evidence(self, record: Any, ref: str, alts: tuple[str, ...]) -> SampleEvidence:
        """The chosen sample's VAF per ALT, depth, phase set, haplotype per ALT and whether
        it holds each ALT (:func:`carried_alleles`)."""
        # The same reads, in the same order, as through SampleFields, read_with_fallback and
        # read_phase (which the other callers and phased genotypes take).
        carried = self._carried(record, len(alts))
        fractions, depth, phase_set, haplotypes = self._sample_evidence(record, ref, alts)
        return fractions, depth, phase_set, haplotypes, carried

    def _carried(self, record: Any, alt_count: int) -> list[bool | None]:
        """Per ALT, whether the chosen sample holds it (:func:`carried_alleles`; None without
        one)."""
        carried = (
            carried_alleles(record, alt_count, self._format_ids, self._carried_by_reads)
            if self._has_sample
            else None
        )
        return carried or [None] * alt_count

    def _sample_evidence(
        self, record: Any, ref: str, alts: tuple[str, ...]
    ) -> tuple[list[float | None], int | None, str | None, list[int | None]]:
        alt_count = len(alts)
        fields: SampleFields | None = None
        if self._generic:
            fractions, depth = generic_evidence(record, alt_count, self._format_ids)
        else:
            fields = SampleFields(
                record, ref, alts, self._format_ids, self._info_ids, has_sample=self._has_sample
            )
            fractions, depth = read_with_fallback(self._read_evidence, fields)
        if self._gt_phase_only and not phased_genotype(record, self._format_ids):
            return fractions, depth, None, [None] * alt_count
        if fields is None:
            fields = SampleFields(
                record, ref, alts, self._format_ids, self._info_ids, has_sample=True
            )
        phase_set, haplotypes = read_phase(fields)
        return fractions, depth, phase_set, haplotypes

    def _ref(self, ref: str, number: int) -> str:
        """REF, checked (the same string object for a REF seen before)."""
        known = self._refs.get(ref)
        if known is not None:
            return known
        if _REF.fullmatch(ref) is None:
            raise self._allele_error("REF", ref, number, "bases A, C, G, T or N")
        if len(self._refs) < _KNOWN_VALUES:
            self._refs[ref] = ref
        return ref

    def _alts(self, alts: tuple[str, ...], number: int) -> tuple[str, ...]:
        """The ALTs, checked (the same tuple object for ALTs seen before)."""
        known = self._alt_tuples.get(alts)
        if known is not None:
            return known
        for alt in alts:
            if _ALT.fullmatch(alt) is None:
                raise self._allele_error(
                    "ALT", alt, number, "bases A, C, G, T or N, '*', '<ID>' or a breakend"
                )
        if len(self._alt_tuples) < _KNOWN_VALUES:
            self._alt_tuples[alts] = alts
        return alts

    def _filters(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The FILTER names but PASS (the same tuple object for names seen before)."""
        known = self._filter_tuples.get(names)
        if known is None:
            known = tuple(name for name in names if name != "PASS")
            if len(self._filter_tuples) < _KNOWN_VALUES:
                self._filter_tuples[names] = known
        return known

    def _structural(
        self, record: Any, alt_count: int
    ) -> tuple[int | None, str | None, list[str | None]]:
        """INFO END, SVTYPE and MATEID (one per ALT) of a record, where declared."""
        end: int | None = None
        svtype: str | None = None
        mate_ids: list[str | None] = [None] * alt_count
        if not self._sv_keys:
            return end, svtype, mate_ids
        info = record.INFO
        for key in self._sv_keys:
            value = info.get(key)
            if value is None:
                continue
            if key == "END":
                end = info_integer(value)
            elif key == "SVTYPE":
                svtype = field_text(value)
            else:
                mate_ids = per_alt_text(value, alt_count)
        return end, svtype, mate_ids


def _is_unsplit_line(record: Any) -> bool:
    """True for what htslib returns for a line it could not split into columns.

    Such a record has no alleles at all, and reading its REF crashes; a real record always has
    a REF, so a length of at least one. Only ALT, start, end and CHROM are safe to read.
    """
    return record.end <= record.start and not record.ALT
