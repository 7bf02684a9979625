"""Read the small variants of each tumor sample of the input (:func:`read_samples`).

The VCF gives small-variant alleles with their alterations in rule genes: from the
consequence annotation (VEP CSQ, SnpEff ANN, bcftools BCSQ), else from the rules' hotspot and
exon tables; with ``--reference`` and ``--gff`` the VCF is first annotated with bcftools csq.
The same pass collects structural-variant breakends and what TMB counts. It reads the file
through its index (the rule regions only), through the text prefilter (only the records that
may touch a rule are parsed), or record by record, in one process or two. A MAF's samples are
read by :mod:`annotator.maf_input`; what a sample's reading gives is
:class:`~annotator.small_variants.SmallVariants`; the gene-level events (fusion, copy-number
and expression files, MSI, TMB) are read by :mod:`annotator.events_input`.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import cyvcf2

from annotator.bgzf import Part
from annotator.candidate_triage import (
    CandidateTriage,
    TableTriage,
    declares_csq,
)
from annotator.codon_neighbours import may_share_a_codon
from annotator.collector import collector_paused
from annotator.config import INDEX_MIN_BYTES, AnnotateConfig
from annotator.consequence import ConsequenceResolver, read_annotation_format
from annotator.consequence_terms import NONSYNONYMOUS_NAMES
from annotator.errors import InputError, UnreadableRegion, UsageError
from annotator.gene_padding import gene_padding
from annotator.gene_regions import GeneLocator
from annotator.genome import resolve_build
from annotator.genomic import GenomicAnnotator
from annotator.maf_input import read_maf_samples
from annotator.matcher import RuleMatcher, SampleAllele
from annotator.models import AlleleKey, Alteration, Variant, allele_key
from annotator.noted import NotedAlleles
from annotator.parts import Candidates, ForkedPart, ForkedRegions, split_for_workers, two_processes
from annotator.prefilter import (
    RegionList,
    RegionLookup,
    TextRules,
    header_columns,
    header_text,
    rule_regions,
    scan_vcf_text,
)
from annotator.progress import Progress, file_offset
from annotator.readers.maf_format import is_maf
from annotator.readers.vcf import ANNOTATION_KEYS, VcfReader, is_bcf
from annotator.readers.vcf_header import header_values
from annotator.reference import ReferenceFile, open_reference
from annotator.rules.ruleset import RuleSet
from annotator.small_variants import SmallVariants, genomic_rule_alleles
from annotator.tumor_types import load_oncotree

# bcftools csq's driver and the breakends' module are imported where used (the PLC0415
# exemptions), as the MAF and fusion readers are in their modules: a VCF of small variants,
# the usual input, is read without them.
if TYPE_CHECKING:
    from annotator.parts import _Claims
    from annotator.structural import Breakend


def read_samples(
    config: AnnotateConfig,
    rules: RuleSet,
    before_several: Callable[[int], None] | None = None,
) -> list[SmallVariants]:
    """The small variants of each tumor sample of the input: one or more for a MAF; for a VCF
    the one ``--sample`` names, else each tumor its ``##tumor_sample`` lines name (Mutect2
    writes one per tumor of a multi-sample call; each read in a pass of its own), else the
    only sample. Other inputs belong to one tumor, so they need a single sample.
    ``before_several`` is told how many samples a VCF holds before they are read."""
    if not is_maf(config.input):
        tumors = declared_tumor_samples(config.input) if config.sample is None else ()
        if len(tumors) < 2:
            return [read_vcf_sample(config, rules)]
        _refuse_other_inputs(config, len(tumors), "VCF")
        if before_several is not None:
            before_several(len(tumors))
        return [read_vcf_sample(replace(config, sample=name), rules) for name in tumors]
    samples = read_maf_samples(config, rules)
    if len(samples) > 1:
        _refuse_other_inputs(config, len(samples), "MAF")
    return samples


def declared_tumor_samples(path: Path) -> tuple[str, ...]:
    """The samples the ``##tumor_sample`` lines of a VCF name, in order (Mutect2 writes one
    per tumor); () when its header cannot be read here (the reader then says why). Several
    lines, one naming no sample of the file: an InputError, as the reader gives for one."""
    if not path.is_file():
        return ()  # not found, a directory, a pipe: the reader says so
    try:
        if is_bcf(path):
            with contextlib.closing(cyvcf2.VCF(str(path))) as vcf:
                lines = vcf.raw_header.splitlines()
        else:
            lines = header_text(path).decode(errors="replace").splitlines()
    except Exception:
        return ()
    named = tuple(dict.fromkeys(header_values(lines, "tumor_sample")))
    samples = lines[-1].rstrip("\r").split("\t")[9:] if lines else []
    for name in named if len(named) > 1 else ():
        if name not in samples:
            raise InputError(
                f"##tumor_sample={name} names no sample of the file "
                f"(samples: {', '.join(samples[:10])})",
                path=path,
                hint="choose the tumor sample with --sample NAME",
            )
    return named


def _refuse_other_inputs(config: AnnotateConfig, samples: int, kind: str) -> None:
    other_inputs = (
        config.fusions,
        config.cnv,
        config.expression,
        config.msi_status,
        config.msi_file,
        config.bam,
    )
    if any(value is not None for value in other_inputs):
        raise UsageError(
            f"the {kind} has {samples} tumor samples; fusion, copy-number, expression, MSI and "
            "BAM inputs belong to one tumor",
            hint="choose it with --sample",
        )


def read_vcf_sample(config: AnnotateConfig, rules: RuleSet) -> SmallVariants:
    """One pass over the VCF; with --reference and --gff, over its bcftools csq annotation."""
    if config.gff is not None:
        if config.reference is None:
            raise UsageError("--gff needs --reference (the FASTA the VCF was called against)")
        from annotator.csq_calling import call_consequences  # noqa: PLC0415 - lazy: see the imports

        with tempfile.TemporaryDirectory(prefix="resistance-annotator.") as workdir:
            annotated = call_consequences(config.input, config.reference, config.gff, Path(workdir))
            return _read_vcf(config, rules, annotated)
    return _read_vcf(config, rules, config.input)


def _read_vcf(config: AnnotateConfig, rules: RuleSet, vcf: Path) -> SmallVariants:
    # After bcftools csq every record is annotated; the FASTA serves unannotated records only.
    use_fasta = config.reference is not None and config.gff is None
    fasta = open_reference(config.reference) if use_fasta and config.reference else None
    try:
        return _read_vcf_with(config, rules, vcf, fasta)
    finally:
        if fasta is not None:
            fasta.close()


def _read_vcf_with(
    config: AnnotateConfig, rules: RuleSet, vcf: Path, fasta: ReferenceFile | None
) -> SmallVariants:
    """The alleles of the VCF: through the index (the rule regions only), the text prefilter
    or a pass over every record, whichever the run allows (see the README)."""
    path = str(config.input)
    with VcfReader(vcf, sample=config.sample, caller=config.caller) as reader:
        header = reader.header
        build = resolve_build(config.genome, header.contigs, header.lines, path)
        resolver = ConsequenceResolver(
            read_annotation_format(header.info_descriptions, path), rules.genes
        )
        genomic = GenomicAnnotator(rules.genes, build, rules.hotspot_index(build), fasta)
        locator = GeneLocator(rules.genes, build)
        genomic_rules = genomic_rule_alleles(rules, build)
        result = SmallVariants(build=build, sample=header.sample, caller=reader.caller)
        # Only alleles that can change a result are kept; with --explain, also those a near
        # miss may name (with --bam, which phases from the reads, every one). The tumor type
        # does not decide that.
        matcher = (
            RuleMatcher(rules, build=build, tumor_type=config.tumor_type, oncotree=load_oncotree())
            if config.bam is None
            else None
        )
        triage, explainer = (None, matcher) if config.explain else (matcher, None)
        rule_alleles = [*rules.hotspot_index(build), *genomic_rules]
        # Where a record skipped for failing FILTER is counted as in a rule gene: the genes'
        # spans and the rule alleles' REF spans (every path reads them, so counts them alike).
        rule_genes = rule_regions(rules.genes, build, rule_alleles, padding=0)
        matching = _Matching(
            resolver, genomic, locator, genomic_rules, triage, RegionLookup(rule_genes), explainer
        )
        regions = rule_regions(rules.genes, build, rule_alleles, padding=gene_padding(header.lines))
        progress = Progress(enabled=config.show_progress, position=file_offset(vcf))
        if _can_read_regions_only(config, reader, vcf):
            reader.restrict_to(regions)
            result.regions_only = True
            if two_processes(vcf, config.threads):
                if _read_regions_in_two(config, vcf, reader, result, matching):
                    return result
                reader.restrict_to(regions)  # again, in this process: a new pass
            try:
                with progress:
                    _read_variants(config, reader, result, matching, progress)
            except InputError as error:
                if error.record is None and not isinstance(error, UnreadableRegion):
                    raise  # not a record's (the index): no pass over the file would mend it
                # A record of the rule regions cannot be read: only a pass over the whole file
                # knows its number and line, and reports it as a run without the index does.
                # A region htslib could not read through the index (a corrupt block, or an
                # index of another compression of the file): the pass reads it, or names the
                # record that cannot be read.
                result = SmallVariants(build=build, sample=header.sample, caller=reader.caller)
                if isinstance(error, UnreadableRegion):
                    result.notes.append(f"{error}: the whole file was read instead")
                progress = Progress(enabled=config.show_progress, position=file_offset(vcf))
                with VcfReader(vcf, sample=config.sample, caller=reader.caller) as whole:
                    with progress:
                        _read_variants(config, whole, result, matching, progress)
                    result.records = whole.records_read
            else:
                result.records = reader.records_read
            return result
        if _can_prefilter(config, vcf):
            with progress:
                done = _read_prefiltered(
                    config,
                    vcf,
                    regions,
                    reader.caller,
                    [key for key in ANNOTATION_KEYS if key in header.info_descriptions],
                    result,
                    progress,
                    matching,
                )
            if done:
                return result
            result = SmallVariants(build=build, sample=header.sample, caller=reader.caller)
            progress = Progress(enabled=config.show_progress, position=file_offset(vcf))
        with progress:
            _read_variants(config, reader, result, matching, progress)
        result.records = reader.records_read
    return result


def _read_regions_in_two(
    config: AnnotateConfig, vcf: Path, reader: VcfReader, result: SmallVariants, matching: _Matching
) -> bool:
    """Read the rule regions of a large indexed input in two processes, each claiming the next
    block of regions as it is free (:class:`~annotator.parts.ForkedRegions`); the records are
    numbered by their region, so that the alleles of both go in the order of one pass. False,
    with ``result`` left as it was, when a record cannot be read or the worker is gone: the
    caller then reads the regions in one process (and an unreadable record in a pass over the
    whole file, which names it).

    This process reads the first regions alone (:func:`_regions_alone`), and starts the worker
    only if the rest would take it long: most indexed inputs (a whole genome at its density)
    hold a few thousand records in the rule regions, less work than a second process costs
    (its start, its own load of the index, its result sent back)."""
    regions = reader.regions
    mine = SmallVariants(build=result.build, sample=result.sample, caller=result.caller)
    try:
        first = _regions_alone(config, reader, mine, matching)
    except InputError:
        return False
    if first is None:  # all read
        mine.records = reader.records_read
        result.merge(mine)
        return True

    def read(
        claims: _Claims,
        alive: Callable[[], bool],
        own: VcfReader | None = None,
        progress: Progress | None = None,
        found: SmallVariants | None = None,
    ) -> SmallVariants | None:
        """Blocks of regions into ``found`` (by default a result of their own), by ``own``
        (the worker opens one)."""
        if found is None:
            found = SmallVariants(build=result.build, sample=result.sample, caller=result.caller)
        shown = progress if progress is not None else Progress(enabled=False)
        with contextlib.ExitStack() as stack:
            if own is None:
                own = VcfReader(vcf, sample=config.sample, caller=reader.caller)
                stack.enter_context(own)
                own.restrict_to(regions)
            while (block := claims.claim(0, alive)) is not None:
                own.read_regions(*block)
                try:
                    _read_variants(config, own, found, matching, shown)
                except InputError:
                    return None
            found.records = own.records_read
        return found

    with ForkedRegions(reader.region_count(), read, first) as worker:
        progress = Progress(
            enabled=config.show_progress,
            position=worker.claims.position,
            unit="regions",
            label="reading the rule regions (a worker reads some)",
        )
        with progress:
            try:
                read_too = read(worker.claims, worker.alive, reader, progress, mine)
            except EOFError:  # the worker died holding the claims' lock
                return False
        if read_too is None or not worker.add_to(mine):
            return False
    result.merge(mine)
    return True


#: Reading the rule regions alone: a worker process is started when the rest would take this
#: process longer than this many seconds at the rate of the regions read so far. A worker
#: costs about 0.07 s of wall time on the 2-CPU bench host (the fork, its own load of the
#: index, its result sent back) and saves half of the rest: on v5m.sparse (5.6k records in
#: the regions, about 0.2 s of work) it still saves 0.04 s of wall time, for 0.04 s more CPU.
_WORKER_WORTH_SECONDS = 0.15


def _regions_alone(
    config: AnnotateConfig, reader: VcfReader, found: SmallVariants, matching: _Matching
) -> int | None:
    """Read the rule regions one by one into ``found`` (the index loaded first, untimed)
    until the rest looks worth a worker process: its bases at the rate of the bases read so
    far take over ``_WORKER_WORTH_SECONDS``. The first region not read, or None when all
    are."""
    reader.load_index()
    lengths = reader.region_lengths()
    remaining, read = sum(lengths), 0
    progress = Progress(enabled=False)
    started = time.perf_counter()
    for region, length in enumerate(lengths):
        reader.read_regions(region, region + 1)
        _read_variants(config, reader, found, matching, progress)
        remaining -= length
        read += length
        spent = time.perf_counter() - started
        if remaining and spent * remaining > _WORKER_WORTH_SECONDS * max(read, 1):
            return region + 1
    return None


def _can_read_regions_only(config: AnnotateConfig, reader: VcfReader, vcf: Path) -> bool:
    """Whether the indexed path may read only the rule regions instead of every record.

    By ``--index``/``--no-index``; by default for inputs of at least ``INDEX_MIN_BYTES``. Not
    when a genome-wide value needs every record (TMB: ``--panel-size-mb``), nor when the
    record numbers must be those of the file (the annotated VCF matches findings to records by
    them; ``--explain`` names them), nor for a file bcftools csq made (it has no index).
    """
    if config.use_index is None:
        try:
            wanted = vcf.stat().st_size >= INDEX_MIN_BYTES
        except OSError:
            wanted = False
    else:
        wanted = config.use_index
    return (
        wanted
        and vcf == config.input
        and config.panel_size_mb is None
        and not config.explain
        and config.output_paths(None).vcf is None
        and reader.index_path() is not None
    )


def _can_prefilter(config: AnnotateConfig, vcf: Path) -> bool:
    """Whether the text prefilter may pick the records to parse: a VCF or VCF.gz (not BCF),
    ``config.prefilter`` (by default: inputs of at
    least ``INDEX_MIN_BYTES``), and not ``--no-index``."""
    if config.use_index is False or vcf != config.input:
        return False
    try:
        size = vcf.stat().st_size
    except OSError:
        return False
    if is_bcf(vcf):
        return False
    return config.prefilter if config.prefilter is not None else size >= INDEX_MIN_BYTES


def _read_prefiltered(
    config: AnnotateConfig,
    vcf: Path,
    regions: RegionList,
    caller: str,
    annotation_keys: Sequence[str],
    result: SmallVariants,
    progress: Progress,
    matching: _Matching,
) -> bool:
    """One text pass picks the candidate records (see :func:`scan_vcf_text`); only they are
    parsed, by the same reader and matcher as in a full pass. The other records are counted
    from their columns. False when a candidate cannot be read: the full pass then runs, so
    that the error names the record as it does without the prefilter.

    A large BGZF file is read in two parts side by side (:mod:`annotator.parts`): this
    process scans the first, a forked worker the second, both parse the candidates of both,
    block by block as each is free, and the worker's alleles go among this process's in the
    order of their records, so that the result is that of one pass."""
    tmb = config.panel_size_mb is not None
    header = header_text(vcf)
    text_rules = TextRules(
        # TMB in the same pass: a record naming a consequence TMB counts, in any annotation's
        # spelling, is parsed wherever it lies.
        promote=tuple(sorted(name.encode() for name in NONSYNONYMOUS_NAMES)) if tmb else (),
        annotation_keys=tuple(f"{key}=".encode() for key in annotation_keys) if tmb else (),
        # A record failing FILTER is only counted, unless it is kept or explained: not parsed.
        keep_failed=config.include_filtered or config.explain,
        failed_counted_in=matching.rule_genes.regions,
        columns=header_columns(header),
        triage=_candidate_triage(matching, header, annotation_keys, count_tmb=tmb),
    )
    job = PartJob(config, vcf, regions, text_rules, caller, matching, result)
    halves = split_for_workers(vcf, config.threads)
    with tempfile.TemporaryDirectory(prefix="resistance-annotator.") as workdir:
        if halves is None:
            counts = job.scan(Path(workdir) / "candidates.vcf", None, progress.update_now)
            progress.close()
            parsing = Progress(
                enabled=config.show_progress,
                position=lambda: (parsing.counted, len(counts.picked.numbers)),
                unit="records",
                label="parsing candidates",
            )
            with parsing:
                if not job.parse(result, counts.picked, parsing):
                    return False
            counts.add_to(result, config)
            return True
        if halves[0].stop is not None:
            progress.up_to(halves[0].stop, "reading the first part (a worker reads the second)")
        with ForkedPart(job, halves[1], Path(workdir) / "second.vcf") as second:
            counts = job.scan(Path(workdir) / "first.vcf", halves[0], progress.update_now)
            progress.close()
            if not second.parse(job, result, counts.picked, counts.records):
                return False
            counts.add_to(result, config)
            return second.add_to(result)


def _candidate_triage(
    matching: _Matching, header: bytes, annotation_keys: Sequence[str], *, count_tmb: bool
) -> CandidateTriage | TableTriage | None:
    """What decides from their text that candidates annotated by VEP change nothing, and
    counts their non-synonymous alleles for TMB (see :mod:`annotator.candidate_triage`):
    with the matcher's triage (not for ``--explain`` or ``--bam``), when the header declares
    CSQ as the String the reader reads."""
    if matching.triage is None:
        return None
    if declares_csq(header):
        return CandidateTriage(
            matching.resolver, matching.locator, matching.triage, count_tmb=count_tmb
        )
    if not annotation_keys:  # no consequence annotation declared: the tables decide
        return TableTriage(matching.genomic, matching.locator, matching.triage)
    return None


class _Matching(NamedTuple):
    """What reading needs to resolve and place alleles, the matcher that decides which can
    change a result (``triage``; see :func:`_read_variants`), where a record skipped for
    FILTER counts as in a rule gene, and with ``--explain`` the matcher that decides which a
    near miss may name (``explainer``, :meth:`RuleMatcher.explains`). Neither: keep every
    rule-gene allele (``--bam``)."""

    resolver: ConsequenceResolver
    genomic: GenomicAnnotator
    locator: GeneLocator
    genomic_rules: frozenset[AlleleKey]
    triage: RuleMatcher | None
    rule_genes: RegionLookup
    explainer: RuleMatcher | None = None


@dataclass
class ScanCounts:
    """What the text scan of a file (or of a part of it) picked and counted: the candidates'
    file and their record numbers, and the counts of the records it skipped."""

    picked: Candidates  # numbered from the part's start
    records: int
    skipped_alleles: int
    skipped_passed_alleles: int
    skipped_annotated_alleles: int
    skipped_annotated_passed_alleles: int
    skipped_filtered: int
    skipped_filtered_in_genes: int
    skipped_filtered_in_genes_filters: Counter[str]
    uneventful: int  # skipped candidates' rule-gene alleles (TextRules.triage)
    nonsynonymous: int  # and their non-synonymous ones, for TMB

    def add_to(self, result: SmallVariants, config: AnnotateConfig) -> None:
        """Add the skipped records' counts to what parsing the candidates counted."""
        result.records += self.records
        result.uneventful += self.uneventful
        result.nonsynonymous += self.nonsynonymous
        result.alleles_seen += self.skipped_alleles
        if config.include_filtered:
            result.alleles_annotated += self.skipped_alleles
            result.annotated_records += self.skipped_annotated_alleles
        else:
            result.alleles_annotated += self.skipped_passed_alleles
            result.annotated_records += self.skipped_annotated_passed_alleles
            result.filtered_records += self.skipped_filtered  # no candidate: not counted twice
            result.filtered_in_rule_genes += self.skipped_filtered_in_genes
            result.filtered_in_rule_genes_filters.update(self.skipped_filtered_in_genes_filters)


@dataclass(frozen=True)
class PartJob:
    """The text scan of a VCF (or of a part of a BGZF one) and the parsing of its candidates,
    by the same reader and matcher as a whole-file pass."""

    config: AnnotateConfig
    vcf: Path
    regions: RegionList
    text_rules: TextRules
    caller: str
    matching: _Matching
    template: SmallVariants  # the sample's build, name and caller

    def scan(
        self, out: Path, part: Part | None, on_record: Callable[[int], None] | None
    ) -> ScanCounts:
        """Copy the header and the candidates to ``out``; count the others."""
        with out.open("wb") as handle:
            if part is not None and part.start:
                handle.write(header_text(self.vcf))
            scan = scan_vcf_text(self.vcf, self.regions, handle, on_record, self.text_rules, part)
        return ScanCounts(
            Candidates(out, scan.candidates, () if scan.header_among_records else scan.offsets),
            scan.records,
            scan.skipped_alleles,
            scan.skipped_passed_alleles,
            scan.skipped_annotated_alleles,
            scan.skipped_annotated_passed_alleles,
            scan.skipped_filtered,
            scan.skipped_filtered_in_genes,
            scan.skipped_filtered_in_genes_filters,
            scan.triaged_uneventful,
            scan.triaged_nonsynonymous,
        )

    def new_result(self) -> SmallVariants:
        template = self.template
        return SmallVariants(build=template.build, sample=template.sample, caller=template.caller)

    def parse(self, result: SmallVariants, picked: Candidates, progress: Progress) -> bool:
        """The candidates' alleles into ``result``; False when one cannot be read."""
        try:
            with VcfReader(picked.path, sample=self.config.sample, caller=self.caller) as subset:
                subset.renumber(picked.numbers)
                _read_variants(self.config, subset, result, self.matching, progress)
        except InputError:
            return False
        return True


@collector_paused()
def _read_variants(
    config: AnnotateConfig,
    reader: VcfReader,
    result: SmallVariants,
    matching: _Matching,
    progress: Progress,
) -> None:
    """The alleles of every record the reader gives, into ``result`` (the garbage collector
    paused meanwhile), a batch of records at a time (:meth:`VcfReader.batches`): the
    alterations of a batch's alleles are found first, in a run (:func:`_resolved_ahead`: from
    their annotation, else from the gene tables), then its alleles go through the rest one by
    one, and the rule-gene alleles found are triaged (:func:`_keep`) in a run at the batch's
    end. In a run, the code and tables of each stage stay in the CPU's caches: a process's CPU
    time fell by 17% on v1m.csq (VEP) and by 9% on v1m (unannotated).

    The raw consequence annotation strings of a variant are let go once resolved (nothing
    after this reads them, and they are most of a variant's size); equal gene and note
    tuples are shared. An unannotated allele that no rule can match, with one note on the one
    rule gene it lies in, goes to ``result.noted`` (:mod:`annotator.noted`), with its VAF and
    depth only with ``config.unclassified_evidence`` (a report shows them); of the other
    rule-gene alleles, those that can change no result (:meth:`RuleMatcher.matters`: most of
    a large input's) are only counted (``result.uneventful``), so that what is kept, sent by a
    worker process and matched grows with the results, not with the input. With
    ``--explain`` no allele is noted (a near miss names the unclassified ones) and those a
    near miss may name are kept too (:meth:`RuleMatcher.explains`); with ``--bam`` every one.
    """
    resolver, genomic, locator, genomic_rules, triage, _rule_genes, explainer = matching
    keeps = (
        triage.matters
        if triage is not None
        else explainer.explains
        if explainer is not None
        else None
    )
    keep_filtered = config.include_filtered
    if not keep_filtered and not config.explain:
        reader.skip_filtered(matching.rule_genes.overlaps)  # counted below, never looked at
    genomic_positions = frozenset(pos for _chrom, pos, _ref, _alt in genomic_rules)
    count_tmb = config.panel_size_mb is not None  # non-synonymous alleles: for TMB only
    shared_genes: dict[tuple[str, ...], tuple[str, ...]] = {}
    shared_notes: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
    last_filtered = None
    noted, evidence = _triaged(result, reader, triage)
    noted_evidence = _noted_evidence(config, reader, evidence)
    # Only these genes' notes are unclassified variants (see find_unclassified).
    noted_genes = triage.rules.small_variant_genes if triage is not None else frozenset()
    # A reader may be read again for other regions (annotator.parts): its counts go on.
    skipped_before = _skipped(reader)
    for batch in reader.batches():
        # The batch's alterations found first, in a run (as the reader reads its records:
        # each stage's code and tables stay in the CPU's caches).
        ahead = _resolved_ahead(batch, resolver, genomic, shared_notes, keep_filtered)
        rule_gene_alleles: list[SampleAllele] = []
        for variant in batch:
            progress.update(reader.records_read)
            result.alleles_seen += 1
            if not keep_filtered and not variant.passed:
                last_filtered = _count_filtered(
                    variant, last_filtered, result, config.explain, matching, shared_genes
                )
                continue
            result.alleles_annotated += 1
            if _not_small(variant, result):
                continue
            notes: tuple[tuple[str, str], ...] = ()
            annotations = variant.annotations
            annotated = bool(annotations)
            found = ahead.pop(id(variant), None)
            try:
                if annotated:
                    result.annotated_records += 1
                    alterations = tuple(resolver.resolve(variant)) if found is None else found[0]
                    if count_tmb and variant.passed and resolver.changes_protein(variant):
                        result.nonsynonymous += 1
                    _release(annotations)
                else:
                    alterations, notes = (
                        _from_tables(genomic, variant, shared_notes) if found is None else found
                    )
            except InputError as error:
                error.path = error.path or str(config.input)
                raise
            pos = variant.pos
            in_genes = locator.genes_at(variant.chrom, pos, pos + max(len(variant.ref), 1) - 1)
            allele = None  # made once, for the noted rows or the rule-gene alleles
            if (
                noted is not None
                and not annotated
                and pos not in genomic_positions
                and _noted(
                    noted,
                    allele := SampleAllele(
                        variant,
                        alterations,
                        False,
                        notes,
                        shared_genes.setdefault(in_genes, in_genes),
                    ),
                    noted_genes,
                    triage,
                    noted_evidence,
                )
            ):
                continue
            if (
                alterations
                or notes
                or in_genes
                or (pos in genomic_positions and allele_key(variant) in genomic_rules)
            ):
                rule_gene_alleles.append(
                    allele
                    or SampleAllele(
                        variant,
                        alterations,
                        annotated,
                        notes,
                        shared_genes.setdefault(in_genes, in_genes),
                    )
                )
        for allele in rule_gene_alleles:  # triaged in a run too
            _keep(result, allele, keeps, evidence)
    _add_skipped(result, reader, skipped_before)


def _skipped(reader: VcfReader) -> tuple[int, int, int, Counter[str]]:
    """The reader's counts of records skipped for FILTER, of their alleles, of those records
    in the rule genes and of their FILTER names."""
    return (
        reader.records_skipped,
        reader.alleles_skipped,
        reader.records_skipped_counted,
        Counter(reader.filters_skipped_counted),
    )


def _add_skipped(
    result: SmallVariants, reader: VcfReader, before: tuple[int, int, int, Counter[str]]
) -> None:
    """Add what the reader skipped since its counts were ``before`` (:func:`_skipped`)."""
    records, alleles, in_genes, filters = before
    result.alleles_seen += reader.alleles_skipped - alleles
    result.filtered_records += reader.records_skipped - records
    result.filtered_in_rule_genes += reader.records_skipped_counted - in_genes
    result.filtered_in_rule_genes_filters.update(reader.filters_skipped_counted - filters)


def _count_filtered(
    variant: Variant,
    last_filtered: int | None,
    result: SmallVariants,
    explain: bool,
    matching: _Matching,
    shared_genes: dict[tuple[str, ...], tuple[str, ...]],
) -> int | None:
    """Count an allele failing FILTER (its record once: a record's alleles come together) and,
    with ``explain``, set it aside as the matcher would see it; the record counted last."""
    if variant.record_index != last_filtered:
        result.filtered_records += 1
        if matching.rule_genes.overlaps(variant.chrom, variant.pos, variant.ref):
            result.filtered_in_rule_genes += 1
            result.filtered_in_rule_genes_filters.update(variant.filters)
    if explain and not _is_structural(variant) and variant.alt not in NO_VARIANT_ALLELES:
        resolver, genomic, locator, genomic_rules = matching[:4]
        aside = _filtered_allele(variant, resolver, genomic, locator, genomic_rules, shared_genes)
        if aside is not None and (matching.explainer is None or matching.explainer.explains(aside)):
            result.filtered_alleles.append(aside)
    return variant.record_index


def _resolved_ahead(
    batch: Sequence[Variant],
    resolver: ConsequenceResolver,
    genomic: GenomicAnnotator,
    shared_notes: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]],
    keep_filtered: bool,
) -> dict[int, tuple[tuple[Alteration, ...], tuple[tuple[str, str], ...]]]:
    """The alterations and notes of the variants of a batch that :func:`_read_variants` will
    resolve (those it reads, not structural), by variant id: from their annotation, else from
    the gene tables (:func:`_from_tables`). A variant that cannot be resolved is left out: the
    loop resolves it again, and raises where it always did."""
    found: dict[int, tuple[tuple[Alteration, ...], tuple[tuple[str, str], ...]]] = {}
    for variant in batch:
        if (keep_filtered or variant.passed) and not _is_structural(variant):
            try:
                found[id(variant)] = (
                    (tuple(resolver.resolve(variant)), ())
                    if variant.annotations
                    else _from_tables(genomic, variant, shared_notes)
                )
            except InputError:
                continue
    return found


def _triaged(
    result: SmallVariants, reader: VcfReader, triage: RuleMatcher | None
) -> tuple[NotedAlleles | None, Callable[[Variant], None] | None]:
    """With ``triage``, where noted alleles go, and the function that reads the VAF, depth
    and phase of an allele kept: most alleles are only counted, so the reader defers them.
    (None, None) without it."""
    if triage is None:
        return None, None
    reader.defer_evidence()
    return result.noted, reader.read_evidence


def _noted_evidence(
    config: AnnotateConfig, reader: VcfReader, evidence: Callable[[Variant], None] | None
) -> Callable[[Variant], None] | None:
    """What is read of a noted allele: its VAF and depth when a report shows them; else, in a
    VCF of several samples, whether the sample holds it (it may be another sample's: GT or
    AD says); else nothing."""
    if evidence is None or config.unclassified_evidence:
        return evidence
    return reader.read_carried if len(reader.header.samples) > 1 else None


def _keep(
    result: SmallVariants,
    allele: SampleAllele,
    keeps: Callable[[SampleAllele], bool] | None,
    evidence: Callable[[Variant], None] | None,
) -> None:
    """Keep a rule-gene allele that ``keeps`` (:meth:`RuleMatcher.matters`: it can change a
    result; with ``--explain`` :meth:`RuleMatcher.explains`: a near miss may name it; every
    one without it), with its VAF, depth and phase read by ``evidence`` when the reader
    deferred them, aside when the sample does not hold it (``Variant.carried``); count the
    others, and keep the place of those that may share a codon with an SNV finding
    (:mod:`annotator.codon_neighbours`)."""
    if keeps is None or keeps(allele):
        if evidence is not None:
            evidence(allele.variant)
        if allele.variant.carried is False:
            result.not_carried.append(allele)
        else:
            result.alleles.append(allele)
    else:
        result.uneventful += 1
        if may_share_a_codon(allele):
            result.codon_neighbours.add(allele.variant)


def _from_tables(
    genomic: GenomicAnnotator,
    variant: Variant,
    shared_notes: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]],
) -> tuple[tuple[Alteration, ...], tuple[tuple[str, str], ...]]:
    """An unannotated allele's alterations and notes from the genomic annotator (equal note
    tuples shared)."""
    found = genomic.annotate(variant)
    notes = tuple(found.notes)
    return tuple(found.alterations), shared_notes.setdefault(notes, notes) if notes else ()


def _noted(
    noted: NotedAlleles,
    allele: SampleAllele,
    genes: frozenset[str],
    triage: RuleMatcher | None,
    evidence: Callable[[Variant], None] | None = None,
) -> bool:
    """Add an unannotated allele (its notes are the genomic annotator's) to ``noted`` if it is
    reported with its one note, on the one rule gene it lies in, one of ``genes``
    (:attr:`RuleSet.small_variant_genes`: in the others it is not reported), and no rule can
    fire on it nor a condition find it: it has no alteration, or only changes of known codons
    (an SNV in a coding exon of the gene table, whose note names the codon) that ``triage``
    (:meth:`RuleMatcher.takes`) finds no rule or condition for. The caller leaves out
    alleles at a genomic rule's position. Its VAF, depth and phase are read first by
    ``evidence`` when the reader deferred them; one the sample does not hold is left to the
    caller (:func:`_keep` sets it aside)."""
    notes = allele.notes
    if len(notes) != 1 or allele.genes != (notes[0][0],) or notes[0][0] not in genes:
        return False
    if allele.alterations and (
        triage is None
        or not all(a.codon_change is not None for a in allele.alterations)
        or triage.takes(allele)
    ):
        return False
    variant = allele.variant
    if evidence is not None:
        evidence(variant)
        if variant.carried is False:
            return False
    if noted.takes(variant):
        noted.add(variant, notes[0])
        return True
    return False


def _release(annotations: Mapping[str, str]) -> None:
    """Empty a variant's annotation strings once resolved (the reader's own dict)."""
    if isinstance(annotations, dict):
        annotations.clear()


def _filtered_allele(
    variant: Variant,
    resolver: ConsequenceResolver,
    genomic: GenomicAnnotator,
    locator: GeneLocator,
    genomic_rules: frozenset[AlleleKey],
    shared_genes: dict[tuple[str, ...], tuple[str, ...]],
) -> SampleAllele | None:
    """A FILTER-failed allele as the matcher would see it, when it touches a rule gene (for
    ``--explain``); None when it does not or its annotation cannot be read (the record is
    skipped anyway, so a malformed annotation there is no error)."""
    annotations = variant.annotations
    annotated = bool(annotations)
    try:
        if annotated:
            alterations = tuple(resolver.resolve(variant))
            notes: tuple[tuple[str, str], ...] = ()
        else:
            from_tables = genomic.annotate(variant)
            alterations, notes = tuple(from_tables.alterations), tuple(from_tables.notes)
    except InputError:
        return None
    _release(annotations)
    end = variant.pos + max(len(variant.ref), 1) - 1
    in_genes = locator.genes_at(variant.chrom, variant.pos, end)
    if alterations or notes or in_genes or allele_key(variant) in genomic_rules:
        genes = shared_genes.setdefault(in_genes, in_genes)
        return SampleAllele(variant, alterations, annotated, notes, genes)
    return None


#: ALT alleles that are no variant of their own (VCF 4.3, section 1.6.1 ALT): '*', an allele
#: missing for a deletion another record holds; '<*>' and GATK's '<NON_REF>' (its header:
#: "Represents any possible alternative allele at this location"), a gVCF's any other allele.
#: They are counted among the alleles annotated and are never a rule-gene variant.
NO_VARIANT_ALLELES = frozenset({"*", "<*>", "<NON_REF>"})


def _not_small(variant: Variant, result: SmallVariants) -> bool:
    """Whether an allele is no small variant: a structural one (kept in ``result`` as a
    breakend) or no variant of its own (:data:`NO_VARIANT_ALLELES`, counted outside the rule
    genes)."""
    if variant.alt in NO_VARIANT_ALLELES:
        return True
    if _is_structural(variant):
        result.breakends.append(_breakend(variant))
        return True
    return False


def _is_structural(variant: Variant) -> bool:
    alt = variant.alt
    return variant.svtype == "BND" or alt.startswith("<") or "[" in alt or "]" in alt


def _breakend(variant: Variant) -> Breakend:
    from annotator.structural import Breakend  # noqa: PLC0415 - lazy: see the imports

    return Breakend(
        chrom=variant.chrom,
        pos=variant.pos,
        alt=variant.alt,
        id=variant.variant_id,
        mate_id=variant.mate_id,
        record_index=variant.record_index,
        end=variant.end,
        variant=variant,
    )
