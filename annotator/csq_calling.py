"""Consequence calling for VCFs without consequence annotation: bcftools norm + bcftools csq.

:func:`call_consequences` runs, through pysam's bundled bcftools, two steps and writes a
bgzip-compressed VCF in the work directory that the normal pipeline then reads as a
BCSQ-annotated VCF (``annotator.consequence`` reads ``INFO/BCSQ``):

1. ``bcftools norm -f REF -c e``: left-align and trim indels against the reference and stop
   at the first REF allele that does not match it (a VCF called on another genome).
   Multi-allelic records are *not* split (no ``-m -any``): the VCF reader yields one variant
   per ALT allele anyway, and splitting would change the number of records that the run
   summary reports. Left-alignment can move a record (``293 AA>A`` becomes ``289 CA>C``), so
   positions and, rarely, record order may differ from the input; record numbers in later
   messages refer to the annotated file, whose path those messages name.
2. ``bcftools csq -f REF -g GFF --local-csq --samples - --exclude 'TYPE~"bnd"'``:

   - ``--local-csq`` switches off haplotype-aware calling and predicts each VCF record on its
     own ("run localized predictions considering only one VCF record at a time", bcftools
     man page, ``csq``). Haplotype-aware calling needs phased genotypes (the default
     ``--phase r`` stops at the first unphased heterozygous call, and tumor callers rarely
     phase) and writes a compound consequence on one record only, leaving ``@POS``
     references on the others, which the BCSQ reader skips. The cost: two SNVs in one codon
     written as two records are predicted one by one, as VEP and SnpEff would.
   - ``--samples -`` ("apply all variants and ignore samples"): every ALT is annotated
     whatever the genotypes, and no ``FORMAT/BCSQ`` bitmask is added to the sample columns.
   - ``--exclude 'TYPE~"bnd"'``: breakend records pass through unannotated; bcftools 1.24
     takes a breakend ALT for an insertion (``A[chr:600[`` became an ``inframe_insertion``).
     Breakends are read as structural variants elsewhere.

   bcftools 1.23 and later stop at a record on a chromosome the GFF does not mention
   (samtools/bcftools#2584) unless given ``--force``, which also turns its GFF sanity checks
   into warnings. When that happens and the GFF mentions some but not all chromosomes of the
   records, the GFF is first checked without ``--force`` (a run on the VCF header alone),
   then the records are annotated with ``--force``: records on the other chromosomes pass
   through unannotated, as with bcftools 1.21. When the GFF mentions none of them the
   chromosome names differ (``chr1`` and ``1``): an error.

The reference FASTA needs a ``.fai`` index (and a ``.gzi`` one when bgzip-compressed). When
it has none, or an index older than itself, it is linked into ``WORKDIR/reference/`` and
indexed there, leaving the reference directory alone.

Each bcftools (and samtools faidx) step runs pysam's bundled tool in a child Python process,
not in this one: pysam's in-process bcftools keeps state from one call to the next (after one
successful ``csq`` run in a process, a later run whose GFF lacks the VCF's chromosomes wrote
unannotated records instead of failing), and an ``abort()`` in bcftools would take the
annotator down with it. The child's stderr (bcftools' progress, warnings, htslib's own
lines) is captured and dropped on success; a failure becomes a one-line ``InputError`` naming
the file at fault and carrying bcftools' own message.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from annotator.errors import InputError
from annotator.readers.htslib_messages import pysam_htslib_quiet

__all__ = ["CSQ_SUFFIX", "call_consequences"]

CSQ_SUFFIX: Final = ".csq.vcf.gz"
"""The annotated file is ``WORKDIR/<input name without .vcf/.vcf.gz/.bcf>`` + this suffix."""

GFF_HINT: Final = (
    "bcftools csq reads Ensembl GFF3: gene lines 'ID=gene:ENSG...;Name=SYMBOL;"
    "biotype=protein_coding', transcript lines 'ID=transcript:ENST...;Parent=gene:ENSG...;"
    "biotype=protein_coding', exon/CDS/UTR lines 'Parent=transcript:ENST...' "
    "(https://ftp.ensembl.org/pub/current_gff3/)"
)

_CSQ_OPTIONS: Final = ("--local-csq", "--samples", "-", "--exclude", 'TYPE~"bnd"')
_INPUT_SUFFIXES: Final = (".vcf.gz", ".vcf.bgz", ".vcf", ".bcf", ".gz")
_GZIP_MAGIC: Final = b"\x1f\x8b"
_BGZF_MAGIC: Final = b"\x1f\x8b\x08\x04"
# bcftools' progress lines, not part of what went wrong.
_CHATTER: Final = re.compile(
    r"^(Parsing |Indexed \d|Calling\.\.\.|Warning:|Note:|Lines\s+total/)", re.IGNORECASE
)
# The source location bcftools puts before some messages: '[bcftools/gff.c.pysam.c:238 f] '.
_SOURCE_PREFIX: Final = re.compile(r"^\[[^\]\s]+\.c(?:\.pysam\.c)?:\d+ [^\]]*\]\s*")
_MAX_MESSAGE: Final = 400
_MAX_NAMES: Final = 3
_GFF_COLUMNS: Final = 9
# Words of bcftools norm messages about the reference: 'Reference allele mismatch at ...',
# 'faidx_fetch_seq failed at chr9:5'.
_REFERENCE_WORDS: Final = ("reference", "faidx", "ref_seq")
# Marks, in the child's stderr, the text of pysam's SamtoolsError (the tool's own stderr).
_FAILURE_MARK: Final = "@@pysam-failure@@"
# argv: pysam module ('bcftools' or 'samtools'), command, the command's arguments.
_CHILD: Final = f"""\
import importlib, sys
import pysam.utils
tool = getattr(importlib.import_module("pysam." + sys.argv[1]), sys.argv[2])
try:
    tool(*sys.argv[3:], catch_stdout=False)
except pysam.utils.SamtoolsError as exc:
    sys.stderr.write("\\n{_FAILURE_MARK}" + str(exc.value))
    sys.exit(1)
"""


class _BcftoolsFailure(Exception):
    """A bcftools command that exited with an error; ``message`` is its own, on one line."""

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command
        self.message = message


def call_consequences(vcf_in: Path, reference: Path, gff: Path, workdir: Path) -> Path:
    """Normalize ``vcf_in`` and annotate it with ``bcftools csq``; return the annotated VCF.

    The result is ``workdir / (stem + CSQ_SUFFIX)``, bgzip-compressed VCF with ``INFO/BCSQ``,
    one record per input record. ``workdir`` is created when missing; intermediate files are
    removed, an index built for the reference is kept for the next run. Raises InputError for
    a missing input, a reference that cannot be indexed, a VCF that does not match the
    reference, a GFF bcftools cannot use or whose chromosome names differ from the VCF's.
    """
    vcf_in, reference, gff, workdir = Path(vcf_in), Path(reference), Path(gff), Path(workdir)
    _require_file(vcf_in, "variant file")
    _require_file(reference, "reference FASTA")
    _require_file(gff, "GFF3 gene annotation")
    workdir.mkdir(parents=True, exist_ok=True)
    stem = _stem(vcf_in)
    normalized = workdir / f"{stem}.norm.bcf"
    output = workdir / f"{stem}{CSQ_SUFFIX}"
    partial = output.with_name(output.name + ".part")
    try:
        fasta = _indexed_reference(reference, workdir)
        _normalize(vcf_in, fasta, reference, normalized)
        _annotate(normalized, fasta, gff, partial, workdir / f"{stem}.header.vcf", vcf_in)
        os.replace(partial, output)
    finally:
        normalized.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return output


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        problem = "is not a file" if path.exists() else "does not exist"
        raise InputError(f"the {what} {problem}", path=path)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _INPUT_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _run(command: str, args: Sequence[str], *, package: str = "bcftools") -> None:
    """Run pysam's ``bcftools COMMAND ARGS`` (or ``samtools``) in a child Python process."""
    completed = subprocess.run(  # noqa: S603 - argv list, no shell; the paths are arguments
        [sys.executable, "-c", _CHILD, package, command, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        check=False,
    )
    if completed.returncode != 0:
        raise _BcftoolsFailure(command, _failure_message(completed.stderr, completed.returncode))


def _failure_message(stderr: str, returncode: int) -> str:
    """What went wrong, on one line: the tool's own message, without its progress chatter."""
    before, marked, text = stderr.partition(_FAILURE_MARK)
    if marked:
        _, found, tool_stderr = text.partition("stderr=")
        text = tool_stderr if found else text
    else:  # the child died before pysam could report: a crash or a signal
        text = before
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    kept = [_SOURCE_PREFIX.sub("", line) for line in lines if not _CHATTER.match(line)]
    message = " ".join(kept or lines[-1:])
    if not marked:
        status = f"exit status {returncode}" if returncode > 0 else f"signal {-returncode}"
        message = f"{message} ({status})" if message else f"stopped with {status}"
    message = " ".join(message.split()) or "failed without a message"
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return message


def _indexed_reference(reference: Path, workdir: Path) -> Path:
    """The reference itself when indexed, else a link to it in ``workdir`` with a new index."""
    if _has_index(reference):
        return reference
    local = workdir / "reference" / reference.name
    local.parent.mkdir(exist_ok=True)
    target = reference.resolve()
    if not (local.is_symlink() and local.resolve() == target):
        local.unlink(missing_ok=True)
        local.symlink_to(target)
    if not _has_index(local):
        for index in _index_paths(local):
            index.unlink(missing_ok=True)
        try:
            _run("faidx", [str(local)], package="samtools")
        except _BcftoolsFailure as failure:
            raise InputError(
                f"cannot index the reference FASTA: {failure.message}",
                path=reference,
                hint="the FASTA must be plain text or bgzip-compressed (not gzip); "
                "index it with 'samtools faidx'",
            ) from failure
    return local


def _index_paths(fasta: Path) -> list[Path]:
    paths = [fasta.with_name(fasta.name + ".fai")]
    with fasta.open("rb") as handle:
        if handle.read(len(_BGZF_MAGIC)) == _BGZF_MAGIC:
            paths.append(fasta.with_name(fasta.name + ".gzi"))
    return paths


def _has_index(fasta: Path) -> bool:
    """True when every index the FASTA needs exists and is not older than the FASTA."""
    modified = fasta.stat().st_mtime
    return all(
        index.is_file() and index.stat().st_mtime >= modified for index in _index_paths(fasta)
    )


def _normalize(vcf_in: Path, fasta: Path, reference: Path, normalized: Path) -> None:
    try:
        _run("norm", ["-f", str(fasta), "-c", "e", "-O", "u", "-o", str(normalized), str(vcf_in)])
    except _BcftoolsFailure as failure:
        about_reference = any(word in failure.message.lower() for word in _REFERENCE_WORDS)
        raise InputError(
            f"bcftools norm against {reference.name} failed: {failure.message}",
            path=vcf_in,
            hint=f"is {reference.name} the genome the variants were called on, with the "
            "same chromosome names?"
            if about_reference
            else None,
        ) from failure


def _annotate(
    normalized: Path, fasta: Path, gff: Path, output: Path, header_only: Path, vcf_in: Path
) -> None:
    base = ["-f", str(fasta), "-g", str(gff), *_CSQ_OPTIONS, "-O", "z"]
    try:
        _run("csq", [*base, "-o", str(output), str(normalized)])
    except _BcftoolsFailure as failure:
        chromosomes = _record_chromosomes(normalized)
        if chromosomes is None:
            raise InputError(
                f"bcftools csq cannot read the records bcftools norm wrote: {failure.message}",
                path=vcf_in,
                hint="does the header declare every contig (##contig) and FORMAT field the "
                "records use? bcftools writes a record naming an undeclared one into a BCF "
                "that cannot be read back",
            ) from failure
        described = _gff_chromosomes(gff)
        absent = sorted(chromosomes - described)
        if not absent or not described:  # not about chromosomes, or the GFF did not parse
            raise _csq_error(gff, failure) from failure
        if not chromosomes & described:
            raise InputError(
                f"the GFF names none of the VCF's chromosomes ({_names(absent)}); "
                f"it names {_names(sorted(described)) or 'none'}",
                path=gff,
                hint="the VCF, FASTA and GFF must name chromosomes alike (chr1 or 1): "
                "rename them with 'bcftools annotate --rename-chrs' or use a matching GFF3",
            ) from failure
        # Some chromosomes lack GFF features: check the GFF on its own, then let records on
        # those chromosomes through unannotated.
        try:
            _run("view", ["-h", "-O", "v", "-o", str(header_only), str(normalized)])
            _run("csq", [*base, "-o", str(output), str(header_only)])
            _run("csq", [*base, "--force", "-o", str(output), str(normalized)])
        except _BcftoolsFailure as second:
            raise _csq_error(gff, second) from second
        finally:
            header_only.unlink(missing_ok=True)


def _csq_error(gff: Path, failure: _BcftoolsFailure) -> InputError:
    lowered = failure.message.lower()
    about_gff = "gff" in lowered or "transcript" in lowered
    return InputError(
        f"bcftools {failure.command} failed: {failure.message}",
        path=gff,
        hint=GFF_HINT if about_gff else None,
    )


def _record_chromosomes(path: Path) -> set[str] | None:
    """The chromosomes of the records of ``path``; None when they cannot be read."""
    import pysam  # noqa: PLC0415 (pysam only where it is used: 18 ms of every start)

    try:
        with pysam_htslib_quiet(), pysam.VariantFile(str(path)) as variants:
            return {record.chrom for record in variants}
    except (OSError, ValueError):
        return None


def _gff_chromosomes(gff: Path) -> set[str]:
    """The sequence names of the GFF's feature lines, of any type, as bcftools counts them."""
    with gff.open("rb") as probe:
        compressed = probe.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC
    names: set[str] = set()
    with (
        gzip.open(gff, "rt", encoding="utf-8", errors="replace")
        if compressed
        else gff.open(encoding="utf-8", errors="replace")
    ) as handle:
        for line in handle:
            if line.startswith("##FASTA"):
                break
            columns = line.split("\t")
            if not line.startswith("#") and len(columns) >= _GFF_COLUMNS:
                names.add(columns[0])
    return names


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_MAX_NAMES])
    return shown + (f" and {len(names) - _MAX_NAMES} more" if len(names) > _MAX_NAMES else "")
