"""The frozen configuration of one ``annotate`` run. No globals: every step gets what it needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.readers.cnv import CopyNumberThresholds
from annotator.readers.expression import ExpressionThresholds

GENOME_CHOICES = ("auto", "GRCh37", "GRCh38")
DEFAULT_TMB_THRESHOLD = 10.0


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
    # Outputs.
    out_json: Path | None = None
    out_tsv: Path | None = None
    out_dir: Path | None = None
    single_sample_to_stdout: bool = False  # no output file given: JSON of one sample to stdout

    def output_paths(self, sample: str | None) -> tuple[Path | None, Path | None]:
        """Where the JSON and TSV go: explicit paths win over ``--out-dir``."""
        json_path, tsv_path = self.out_json, self.out_tsv
        if self.out_dir is not None:
            stem = safe_file_stem(sample or self.input.name.split(".")[0])
            json_path = json_path or self.out_dir / f"{stem}.findings.json"
            tsv_path = tsv_path or self.out_dir / f"{stem}.findings.tsv"
        return json_path, tsv_path


def safe_file_stem(name: str) -> str:
    """A sample name as a file name: path separators and control characters replaced."""
    cleaned = "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name).lstrip(".")
    return cleaned or "sample"
