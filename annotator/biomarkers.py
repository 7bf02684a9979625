"""Genome-wide biomarkers as gene-level events: ``MSI-H`` (gene ``MSI``), ``TMB-high`` (``TMB``).

Each biomarker has its own section below; they share nothing but the ``Alteration`` shape
(``variant_class`` OTHER, no variant, ``detail`` saying where the call came from).

MSI
---
The status comes from ``--msi-status`` (``MSI-H``, ``MSI-L`` or ``MSS``, any case) and/or an
MSIsensor-family score file: a header and one row, e.g. ``640  75  11.72``. MSIsensor and
MSIsensor2 name the columns ``Total_Number_of_Sites  Number_of_Somatic_Sites  %``
(ding-lab/msisensor README, "Output"; niu-lab/msisensor2 README), MSIsensor-pro
``Total_Number_of_Sites  Number_of_Unstable_Sites  %`` (xjtu-omics/msisensor-pro
``cpp/sample.cpp``, ``Sample::pourOutMsiScore``). The score is the percentage of unstable sites.

Whatever the status, the result is recorded (:class:`MsiResult`, the JSON's
``biomarkers.msi``), so that "MSS" or a low score reads differently from "not tested".

MSI-H when the score is at least ``threshold``, by default 10: the MSK-IMPACT cutoff
validated against MSI PCR and MMR immunohistochemistry (99.4% concordance in colorectal and
endometrial cancers; scores 3-10 were called indeterminate there and nearly all were MSS by
PCR) -- Middha et al., JCO Precis Oncol 2017, PMID:30211344. The cutoff is assay-specific:
MSIsensor-pro gives none and asks users to calibrate on their panel (xjtu-omics/msisensor-pro
wiki, FAQ 2), and MSIsensor2 / MSIsensor-ct recommend 20% for tumor-only and cfDNA data.
A file with no evaluable site is an error, not MSS.

A given status and a file that disagree (``MSI-H`` with a score below the threshold, or
``MSS`` / ``MSI-L`` with a score at or above it) are a UsageError: the annotator does not pick
a side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from annotator.errors import InputError, UsageError
from annotator.models import Alteration, VariantClass
from annotator.readers.text import format_number, parse_number, read_text_lines

# == MSI ================================================================================

MSI_GENE = "MSI"
MSI_HIGH = "MSI-H"
MSI_STATUSES = ("MSI-H", "MSI-L", "MSS")
#: MSIsensor score (% unstable sites) at or above which a tumor is MSI-H (Middha 2017).
DEFAULT_MSI_THRESHOLD = 10.0
MSISENSOR_COLUMNS = ("Total_Number_of_Sites", "Number_of_Somatic_Sites", "%")
#: The second column's name: MSIsensor and MSIsensor2, then MSIsensor-pro.
MSISENSOR_UNSTABLE_COLUMNS = ("Number_of_Somatic_Sites", "Number_of_Unstable_Sites")
#: The status an MSIsensor score below the threshold gives: the score alone tells MSS from
#: MSI-L no better than Middha 2017's indeterminate range does.
NOT_MSI_HIGH = "not MSI-H"

_STATUS_SPELLINGS = {
    "msi-h": "MSI-H",
    "msih": "MSI-H",
    "msi-high": "MSI-H",
    "msi-l": "MSI-L",
    "msil": "MSI-L",
    "msi-low": "MSI-L",
    "mss": "MSS",
    "stable": "MSS",
}


@dataclass(frozen=True)
class MsisensorScore:
    """The one row of an MSIsensor score file."""

    total_sites: int
    unstable_sites: int
    percent: float

    def describe(self, threshold: float) -> str:
        return (
            f"MSIsensor score {format_number(self.percent)}% ({self.unstable_sites} of "
            f"{self.total_sites} sites; MSI-H at >= {format_number(threshold)}%)"
        )


def parse_msi_status(status: str) -> str:
    """``MSI-H``, ``MSI-L`` or ``MSS`` from a user's spelling (``msi-h``, ``MSI_H``, ``MSIH``)."""
    key = status.strip().lower().replace("_", "-").replace(" ", "-")
    known = _STATUS_SPELLINGS.get(key)
    if known is None:
        raise UsageError(
            f"unknown MSI status '{status}'", hint=f"use one of {', '.join(MSI_STATUSES)}"
        )
    return known


def read_msisensor(path: Path) -> MsisensorScore:
    """The score row of an MSIsensor / MSIsensor-pro / MSIsensor2 output file."""
    lines = read_text_lines(path, "MSIsensor")
    rows = [(number, line.split()) for number, line in enumerate(lines, start=1) if line.strip()]
    if not rows:
        raise InputError("MSIsensor file is empty", path=path)
    header_line, header = rows[0]
    total_column, _unstable, percent_column = MSISENSOR_COLUMNS
    if (
        len(header) < 3
        or (header[0], header[2]) != (total_column, percent_column)
        or (header[1] not in MSISENSOR_UNSTABLE_COLUMNS)
    ):
        raise InputError(
            f"not an MSIsensor score file: header is '{' '.join(header)}'",
            path=path,
            line=header_line,
            hint=(
                f"expected the columns {total_column}, "
                f"{' or '.join(MSISENSOR_UNSTABLE_COLUMNS)}, {percent_column}"
            ),
        )
    if len(rows) != 2:
        found = "no score row" if len(rows) == 1 else f"{len(rows) - 1} score rows"
        raise InputError(f"MSIsensor file has {found}, expected exactly one", path=path)
    line, cells = rows[1]
    if len(cells) < len(MSISENSOR_COLUMNS):
        raise InputError(
            f"MSIsensor score row has {len(cells)} values, expected {len(MSISENSOR_COLUMNS)}",
            path=path,
            line=line,
        )
    total = _parse_count(cells[0], header[0], path, line)
    unstable = _parse_count(cells[1], header[1], path, line)
    percent = parse_number(cells[2], column="%", path=path, line=line)
    if total == 0:
        raise InputError(
            "MSIsensor evaluated no microsatellite site, so the file tells no MSI status",
            path=path,
            line=line,
            hint="check the coverage and the microsatellite list, or pass --msi-status",
        )
    if unstable > total or not 0 <= percent <= 100:
        raise InputError(
            f"MSIsensor score row is inconsistent: {unstable} of {total} sites, {cells[2]}%",
            path=path,
            line=line,
        )
    return MsisensorScore(total_sites=total, unstable_sites=unstable, percent=percent)


@dataclass(frozen=True)
class MsiResult:
    """What the MSI inputs said: the status and where it came from, with the score."""

    status: str  # MSI-H, MSI-L, MSS (--msi-status) or, from a score alone, MSI-H / not MSI-H
    given: str | None  # --msi-status
    score: MsisensorScore | None
    threshold: float | None  # with a score file

    @property
    def high(self) -> bool:
        return self.status == MSI_HIGH

    @property
    def source(self) -> str:
        return ", ".join(
            name
            for name, used in (("--msi-status", self.given), ("MSIsensor", self.score))
            if used is not None
        )

    def describe(self) -> str:
        details = [f"--msi-status {self.given}"] if self.given is not None else []
        if self.score is not None and self.threshold is not None:
            details.append(self.score.describe(self.threshold))
        return "; ".join(details)

    def as_dict(self) -> dict[str, object]:
        score = self.score
        return {
            "status": self.status,
            "source": self.source,
            "score_percent": score.percent if score is not None else None,
            "unstable_sites": score.unstable_sites if score is not None else None,
            "total_sites": score.total_sites if score is not None else None,
            "threshold": self.threshold if score is not None else None,
        }


def check_msi_options(msisensor: Path | None, threshold: float | None) -> None:
    """UsageError for an MSI threshold out of range, or one with no score file to apply to."""
    if threshold is None:
        return
    if msisensor is None:
        raise UsageError(
            "--msi-threshold applies to an MSIsensor score file, and no --msi-file is given",
            hint="give the score file with --msi-file, or leave --msi-threshold out",
        )
    _check_msi_threshold(threshold)


def _check_msi_threshold(threshold: float) -> None:
    if not (math.isfinite(threshold) and 0 < threshold <= 100):
        raise UsageError(f"MSI score threshold must be above 0 and at most 100, got {threshold}")


def msi_result(
    status: str | None,
    msisensor: Path | None,
    *,
    threshold: float = DEFAULT_MSI_THRESHOLD,
) -> MsiResult | None:
    """The MSI status from ``--msi-status`` and/or an MSIsensor-family score file (``threshold``:
    the score, in %, at which the file means MSI-H); None when neither is given. Both given and
    disagreeing: UsageError."""
    _check_msi_threshold(threshold)
    if status is None and msisensor is None:
        return None
    given = parse_msi_status(status) if status is not None else None
    score = read_msisensor(Path(msisensor)) if msisensor is not None else None
    from_file = None
    if score is not None:
        from_file = MSI_HIGH if score.percent >= threshold else NOT_MSI_HIGH
    if given is not None and score is not None and (given == MSI_HIGH) != (from_file == MSI_HIGH):
        raise UsageError(
            f"--msi-status {given} contradicts {msisensor}: {score.describe(threshold)}",
            hint="give only one of them, or change the MSI threshold",
        )
    return MsiResult(
        status=given if given is not None else str(from_file),
        given=given,
        score=score,
        threshold=threshold if score is not None else None,
    )


def msi_alteration(result: MsiResult | None) -> Alteration | None:
    """The ``MSI-H`` event of an MSI result that says MSI-H, else None."""
    if result is None or not result.high:
        return None
    return Alteration(
        gene=MSI_GENE,
        variant_class=VariantClass.OTHER,
        source=result.source,
        event=MSI_HIGH,
        detail=result.describe(),
    )


def msi_event(
    status: str | None,
    msisensor: Path | None,
    *,
    threshold: float = DEFAULT_MSI_THRESHOLD,
) -> Alteration | None:
    """The ``MSI-H`` event when the status or the MSIsensor score says so, else None."""
    return msi_alteration(msi_result(status, msisensor, threshold=threshold))


def _parse_count(text: str, column: str, path: Path, line: int) -> int:
    value = parse_number(text, column=column, path=path, line=line)
    if value < 0 or value != int(value):
        raise InputError(f"{column} '{text}' is not a count of sites", path=path, line=line)
    return int(value)


# == TMB ================================================================================
#
# Tumor mutational burden is computed in the same single pass over the VCF that annotates it:
# the number of PASS alleles with a coding non-synonymous consequence on any transcript (SO
# terms in ``annotator.consequence_terms.NONSYNONYMOUS_TERMS``: missense, stop gained/lost, start
# lost, frameshift, in-frame insertion/deletion, protein altering), divided by the size of
# the sequenced territory in megabases (``--panel-size-mb``, which the user must give: the
# tool cannot know it). TMB-high at ``--tmb-threshold`` mutations/Mb or more, 10 by default:
# the cutoff of the FDA tissue-agnostic approval of pembrolizumab (KEYNOTE-158; see the
# TMB-HIGH rule's citations). Panels differ in what they count (FoundationOne also counts
# synonymous variants), so a TMB from another assay is not directly comparable.

TMB_GENE = "TMB"
TMB_HIGH = "TMB-high"
TMB_DEFINITION = (
    "PASS alleles with a coding non-synonymous consequence (missense, nonsense, stop lost, "
    "start lost, frameshift, in-frame insertion or deletion) per megabase of panel"
)
#: The same count from a MAF: its rows (one allele each) by their ``Variant_Classification``,
#: the classifications GDC and vcf2maf give those consequences (``Missense_Mutation``:
#: missense_variant, ``Nonsense_Mutation``: stop_gained, ``Nonstop_Mutation``: stop_lost,
#: ``Translation_Start_Site``: start_lost, ``Frame_Shift_Del``/``_Ins``, ``In_Frame_Del``/
#: ``_Ins``). A MAF row names one transcript's consequence (a VCF's are counted on any
#: transcript). Not ``Splice_Site`` (counted by maftools' default, not by this tool's TMB).
MAF_TMB_DEFINITION = (
    "MAF rows passing FILTER with Variant_Classification Missense_Mutation, Nonsense_Mutation, "
    "Nonstop_Mutation, Translation_Start_Site, Frame_Shift_Del, Frame_Shift_Ins, In_Frame_Del "
    "or In_Frame_Ins, per megabase of panel"
)


@dataclass(frozen=True)
class TmbResult:
    mutations: int
    panel_size_mb: float
    threshold: float
    definition: str = TMB_DEFINITION
    source: str = "vcf"  # the input counted: "vcf" or "maf" (the TMB-high event's source)

    @property
    def per_mb(self) -> float:
        return self.mutations / self.panel_size_mb

    @property
    def high(self) -> bool:
        return self.per_mb >= self.threshold

    def as_dict(self) -> dict[str, object]:
        return {
            "mutations": self.mutations,
            "panel_size_mb": self.panel_size_mb,
            "per_mb": round(self.per_mb, 2),
            "threshold": self.threshold,
            "status": TMB_HIGH if self.high else "TMB-low",
            "definition": self.definition,
        }


def check_tmb_options(panel_size_mb: float | None, threshold: float) -> None:
    if panel_size_mb is not None and not (math.isfinite(panel_size_mb) and panel_size_mb > 0):
        raise UsageError(f"--panel-size-mb must be above 0, got {panel_size_mb:g}")
    if not (math.isfinite(threshold) and threshold > 0):
        raise UsageError(f"--tmb-threshold must be above 0, got {threshold:g}")


def tmb_event(result: TmbResult) -> Alteration | None:
    """The ``TMB-high`` event when the TMB reaches the threshold, else None."""
    if not result.high:
        return None
    return Alteration(
        TMB_GENE,
        VariantClass.OTHER,
        event=TMB_HIGH,
        source=result.source,
        detail=(
            f"TMB {format_number(result.per_mb)}/Mb ({result.mutations} mutations over "
            f"{format_number(result.panel_size_mb)} Mb; "
            f"threshold {format_number(result.threshold)})"
        ),
    )
