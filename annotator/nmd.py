"""Whether a truncating change may escape nonsense-mediated decay (NMD).

ClinGen SVI's PVS1 recommendations (Abou Tayoun et al. 2018, DOI:10.1002/humu.23626):
"Generally, NMD is not predicted to occur if the premature termination codon occurs in the 3'
most exon or within the 3' most 50 nucleotides of the penultimate exon". For a frameshift the
premature stop is the new one downstream (``fs*N``), not the first changed residue. A stop
codon is placed by its first base (one that straddles the window's start is outside it).

- The last exon: :attr:`annotator.models.Alteration.escapes_nmd` (the annotation's exon count,
  or the gene table's ``exon_count`` for an unannotated record).
- The penultimate exon's last 50 nucleotides: needs where that exon's coding part ends (the
  gene table's ``exons``, BRCA1 and BRCA2 here) and where the premature stop falls (a
  nonsense change's residue, a frameshift's ``fs*N``): without them it is not claimed.
"""

from __future__ import annotations

from annotator.models import Alteration, VariantClass
from annotator.protein import ChangeKind
from annotator.rules.schema import GeneSpec

#: The 3'-most nucleotides of the penultimate exon where a premature stop escapes NMD.
PENULTIMATE_WINDOW = 50


def stop_codon(alteration: Alteration) -> int | None:
    """The residue number of the premature stop a nonsense or frameshift change makes; None
    when the protein change does not say (no HGVSp, ``fs`` without ``*N``)."""
    protein = alteration.protein
    if protein is None:
        return None
    if alteration.variant_class is VariantClass.NONSENSE and protein.alt == "*":
        return protein.start
    if (
        alteration.variant_class is VariantClass.FRAMESHIFT
        and protein.kind is ChangeKind.FRAMESHIFT
        and protein.frameshift_stop is not None
        and protein.frameshift_stop >= 1
    ):
        return protein.start + protein.frameshift_stop - 1
    return None


def in_penultimate_window(alteration: Alteration, spec: GeneSpec | None) -> bool:
    """A premature stop in the 3'-most 50 nucleotides of the transcript's penultimate exon (or
    past it), as the annotation's exon count and the gene table's exons place it. The count
    must be the rules' transcript's (callers pass preferred alterations only)."""
    if spec is None or alteration.exon_count is None:
        return False
    codon = stop_codon(alteration)  # a frameshift's stop may lie exons further on
    exon = next((e for e in spec.exons if e.number == alteration.exon_count - 1), None)
    if codon is None or exon is None:
        return False
    return 3 * codon - 2 > exon.cds_end - PENULTIMATE_WINDOW


def escapes_nmd(alteration: Alteration, spec: GeneSpec | None) -> bool:
    """Whether a nonsense or frameshift change may escape NMD: its premature stop lies in the
    transcript's last exon, or in the last 50 nucleotides of the penultimate one."""
    return alteration.escapes_nmd or (
        alteration.variant_class in (VariantClass.NONSENSE, VariantClass.FRAMESHIFT)
        and in_penultimate_window(alteration, spec)
    )


def escape_place(alteration: Alteration, spec: GeneSpec | None) -> str:
    """Where the premature stop of a change that :func:`escapes_nmd` lies, in words: ``in the
    last exon (27/27)``, ``with its stop (codon 3280) in the last exon (27/27)`` or ``with its
    stop (codon 3201) in the last 50 nucleotides of the penultimate exon (26/27)``."""
    count = alteration.exon_count
    if alteration.escapes_nmd:
        return f"in the last exon ({alteration.exon}/{count})"
    codon = stop_codon(alteration)
    exon = next((e for e in spec.exons if e.number == (count or 0) - 1), None) if spec else None
    if codon is not None and exon is not None and 3 * codon - 2 > exon.cds_end:
        return f"with its stop (codon {codon}) in the last exon ({count}/{count})"
    return (
        f"with its stop (codon {codon}) in the last {PENULTIMATE_WINDOW} nucleotides of the "
        f"penultimate exon ({(count or 0) - 1}/{count})"
    )
