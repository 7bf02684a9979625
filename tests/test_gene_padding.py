"""The rule regions' padding from the up/downstream distance of the annotating tool's header."""

from __future__ import annotations

import pytest

from annotator.gene_padding import DEFAULT_DISTANCE, gene_padding


@pytest.mark.parametrize(
    ("lines", "padding"),
    [
        ([], DEFAULT_DISTANCE),
        (["##fileformat=VCFv4.2", '##VEP="v110" time="2024-01-15"'], DEFAULT_DISTANCE),
        # VEP: one value for both sides, or upstream,downstream; the larger counts.
        (["##VEP-command-line='vep --cache --distance 20000 --vcf'"], 20000),
        (["##VEP-command-line='vep --distance 1000,30000'"], 30000),
        (["##VEP-command-line='vep --distance=12000 --vcf'"], 12000),
        # Getopt::Long: one dash, and abbreviations down to the shortest unambiguous one.
        (["##VEP-command-line='vep -distance 7000'"], 7000),
        (["##VEP-command-line='vep --dist 8000'"], 8000),
        (["##VEP-command-line='vep --dis=9000'"], 9000),
        (["##VEP-command-line='vep --di 90000'"], DEFAULT_DISTANCE),  # --di is also --dir
        (["##VEP-command-line='vep --dir /data/vep --distances 90000'"], DEFAULT_DISTANCE),
        # Smaller than the default: the default stays (more records read, none missed).
        (["##VEP-command-line='vep --distance 0'"], DEFAULT_DISTANCE),
        (["##VEP-command-line='vep --distance'"], DEFAULT_DISTANCE),  # no value
        (["##VEP-command-line='vep --distance --vcf'"], DEFAULT_DISTANCE),
        # A quoted path with spaces does not break the words.
        (["##VEP-command-line='vep -i \"my input.vcf\" --distance 11000'"], 11000),
        # SnpEff: -ud or -upDownStreamLen, in any case.
        (['##SnpEffCmd="SnpEff  -ud 10000 GRCh38.99 in.vcf "'], 10000),
        (['##SnpEffCmd="SnpEff -upDownStreamLen 15000 GRCh38.99 in.vcf"'], 15000),
        (['##SnpEffCmd="SnpEff -UD 6000 GRCh38.99 in.vcf"'], 6000),
        (['##SnpEffCmd="SnpEff -ud GRCh38.99 in.vcf"'], DEFAULT_DISTANCE),
        # Annotated twice: the largest distance of either tool.
        (
            [
                "##VEP-command-line='vep --distance 7000'",
                '##SnpEffCmd="SnpEff -ud 9000 GRCh38.99 in.vcf"',
            ],
            9000,
        ),
    ],
)
def test_gene_padding(lines: list[str], padding: int) -> None:
    assert gene_padding(lines) == padding
