"""The frozen configuration of one ``annotate`` run. No globals: every step gets what it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.models import DEFAULT_SUBCLONAL_FRACTION
from annotator.readers.cnv import CopyNumberThresholds
from annotator.readers.expression import ExpressionThresholds

GENOME_CHOICES = ("auto", "GRCh37", "GRCh38")
DEFAULT_TMB_THRESHOLD = 10.0
#: With the default ``use_index=None``, the indexed path is taken for inputs at least this big:
#: below it a whole pass takes about a second and gives the counts of every record.
INDEX_MIN_BYTES = 1_000_000


@dataclass(frozen=True)
class AnnotateConfig:
    input: Path
    tumor_type: str
    sample: str | None = None
    genome: str = "auto"
    caller: str = "auto"
    reference: Path | None = None  # FASTA: left-normalize indels; with gff, call consequences
    gff: Path | None = None  # Ensembl GFF3 for bcftools csq
    rule_paths: tuple[Path, ...] = ()
    bundled_rules: bool = True
    include_filtered: bool = False
    min_vaf: float | None = None
    min_depth: int | None = None
    # Other inputs of the same tumor.
    fusions: Path | None = None
    cnv: Path | None = None
    cnv_thresholds: CopyNumberThresholds = field(default_factory=CopyNumberThresholds)
    expression: Path | None = None
    expression_thresholds: ExpressionThresholds = field(default_factory=ExpressionThresholds)
    msi_status: str | None = None
    msi_file: Path | None = None
    msi_threshold: float | None = None
    panel_size_mb: float | None = None
    tmb_threshold: float = DEFAULT_TMB_THRESHOLD
    # Interpretation.
    bam: Path | None = None  # tumor BAM/CRAM: read-backed phase for phased rule conditions
    subclonal_fraction: float = DEFAULT_SUBCLONAL_FRACTION
    explain: bool = False  # list near misses: rule-gene alterations that fired no rule, and why
    # Outputs.
    out_json: Path | None = None
    out_tsv: Path | None = None
    out_dir: Path | None = None
    out_vcf: Path | None = None
    out_html: Path | None = None
    out_md: Path | None = None
    command_line: str | None = None  # as the user typed it, for the outputs' provenance
    single_sample_to_stdout: bool = False  # no output file given: JSON of one sample to stdout
    # Reading.
    # Read only the rule regions of an indexed VCF.gz/BCF when nothing needs every record:
    # True whenever possible, False never, None for inputs over INDEX_MIN_BYTES.
    use_index: bool | None = None
    # Parse only the records the text prefilter picks (unindexed VCF/VCF.gz, no TMB): True
    # whenever possible, None for inputs over INDEX_MIN_BYTES; use_index=False turns it off.
    prefilter: bool | None = None
    show_progress: bool = False  # a progress line on stderr (when a terminal) for long inputs
    # Processes reading a large BGZF input (2: in two parts side by side); None: 2 when two
    # CPUs are usable.
    threads: int | None = None
    # Read the VAF and depth of the unclassified unannotated alleles outside the coding exons
    # (most of a large input's; see annotator.noted). Only a report (HTML, Markdown) shows
    # them, not the JSON, TSV or annotated VCF, and reading a record's FORMAT fields for each
    # is a fifth of the CPU time of an unannotated whole-genome VCF: the command line reads
    # them when it writes a report; a library caller gets them unless it says otherwise.
    unclassified_evidence: bool = True

    def output_paths(self, sample: str | None, *, vcf_input: bool = True) -> OutputPaths:
        """Where each output goes: explicit paths win over ``--out-dir``, which writes the
        findings (JSON, TSV), the reports (HTML, Markdown) and, for a VCF input, the annotated
        VCF, all named after the sample."""
        paths = OutputPaths(self.out_json, self.out_tsv, self.out_vcf, self.out_html, self.out_md)
        if self.out_dir is None:
            return paths
        stem = safe_file_stem(sample or self.input.name.split(".")[0])
        directory = self.out_dir
        return OutputPaths(
            json=paths.json or directory / f"{stem}.findings.json",
            tsv=paths.tsv or directory / f"{stem}.findings.tsv",
            vcf=paths.vcf or (directory / f"{stem}.annotated.vcf.gz" if vcf_input else None),
            html=paths.html or directory / f"{stem}.report.html",
            markdown=paths.markdown or directory / f"{stem}.report.md",
        )


@dataclass(frozen=True)
class OutputPaths:
    json: Path | None
    tsv: Path | None
    vcf: Path | None
    html: Path | None
    markdown: Path | None

    @property
    def any(self) -> bool:
        return any(p is not None for p in (self.json, self.tsv, self.vcf, self.html, self.markdown))


def safe_file_stem(name: str) -> str:
    """A sample name as a file name: path separators and control characters replaced."""
    cleaned = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name).lstrip(".")
    return cleaned or "sample"
