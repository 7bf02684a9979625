"""The vectorised text scan (annotator.prefilter.scan_vcf_text) against a line-by-line reading of
the same rules: which records are candidates, their numbers, and the counts of the others."""

from __future__ import annotations

import io
from pathlib import Path

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator import prefilter
from annotator.prefilter import RegionList, TextRules, TextScan, scan_vcf_text

HEADER = b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
REGIONS: RegionList = {"1": [(100, 200), (1000, 1000)], "7": [(50, 60)]}


def reference_scan(text: bytes, regions: RegionList, rules: TextRules) -> tuple[TextScan, bytes]:
    """The rules of scan_vcf_text's docstring, one line at a time (the specification)."""
    scan = TextScan()
    out = io.BytesIO()
    number = 0
    for line in text.split(b"\n")[:-1] if text.endswith(b"\n") else text.split(b"\n"):
        if not line or line == b"\r":
            continue
        if line.startswith(b"#"):
            scan.header_among_records |= bool(scan.candidates)
            out.write(line + b"\n")
            continue
        number += 1
        fields = line.split(b"\t", 7)
        if len(fields) < 8 or not fields[1].isdigit() or len(fields[1]) > 18:
            scan.offsets.append(out.tell())
            out.write(line + b"\n")
            scan.candidates.append(number)
            continue
        chrom = fields[0].decode()
        chrom = chrom[3:] if chrom.startswith("chr") else chrom
        pos = int(fields[1])
        end = pos + max(len(fields[3]), 1) - 1
        alt = fields[4]
        info = fields[7].split(b"\t", 1)[0]
        candidate = any(s <= end and e >= pos for s, e in regions.get(chrom, []))
        no_variant = alt in (b"<NON_REF>", b"<*>")  # a gVCF's reference block
        candidate |= any(symbol in alt for symbol in (b"<", b"[", b"]")) and not no_variant
        candidate |= any(term in info for term in rules.promote)
        failing = any(name not in (b"PASS", b".") for name in fields[6].split(b";"))
        if candidate and (rules.keep_failed or not failing):
            scan.offsets.append(out.tell())
            out.write(line + b"\n")
            scan.candidates.append(number)
            continue
        alleles = 0 if alt == b"." else alt.count(b",") + 1
        annotated = not no_variant and any(
            info.startswith(key) or b";" + key in info for key in rules.annotation_keys
        )
        scan.skipped_alleles += alleles
        scan.skipped_annotated_alleles += alleles if annotated else 0
        if failing:
            scan.skipped_filtered += 1 if alleles else 0  # no ALT: not counted, as by the reader
        else:
            scan.skipped_passed_alleles += alleles
            scan.skipped_annotated_passed_alleles += alleles if annotated else 0
    scan.records = number
    return scan, out.getvalue()


CHROMS = st.sampled_from([b"1", b"chr1", b"7", b"chr7", b"2", b"GL000220.1"])
POSITIONS = st.one_of(
    st.integers(1, 1200).map(lambda n: str(n).encode()),
    st.sampled_from([b"0", b"99", b"100", b"200", b"201", b"1000", b"12x", b"", b"-5", b"1e3"]),
)
BASES = st.text("ACGTN", min_size=1, max_size=8).map(str.encode)
ALTS = st.one_of(
    st.lists(BASES, min_size=1, max_size=3).map(b",".join),
    st.sampled_from(
        [b".", b"<DEL>", b"A[1:300[", b"]7:55]T", b"*", b"<NON_REF>", b"<*>", b"G,<NON_REF>"]
    ),
    # Wider than the ALTs whose commas are counted a byte column at a time (_ALT_COLUMNS).
    st.sampled_from([b"A" * 40 + b",C", b"AC," * 12 + b"T", b"G" * 33]),
)
FILTERS = st.sampled_from(
    [b"PASS", b".", b"q10", b"PASS;.", b"PASS;q10", b"PON", b"strand_bias;weak", b".;PASS", b""]
)
INFOS = st.sampled_from(
    [
        b".",
        b"DP=10",
        b"CSQ=A|missense_variant|X",
        b"XCSQ=1",
        b"DP=3;CSQ=T|synonymous_variant",
        b"BCSQ=missense|X|T1",
        b"DP=3;BCSQ=*stop_gained|X",
        b"XBCSQ=stop_gain",
        b"ANN=G|frameshift_variant|HIGH",
    ]
)
#: Words of which one holds another (BCSQ's 'missense' in 'missense_variant', 'CSQ=' in
#: 'BCSQ='), as the annotator's own lists have them.
PROMOTED = (b"frameshift", b"frameshift_variant", b"missense", b"missense_variant", b"stop_gained")
KEYS = (b"BCSQ=", b"CSQ=", b"ANN=")


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return b""
    if kind == 1:
        return b"\r"
    if kind == 2:
        return b"##a header line in the body"
    if kind == 3:
        return b"1\t150\t.\tA"  # too few columns
    columns = [
        draw(CHROMS),
        draw(POSITIONS),
        b".",
        draw(BASES),
        draw(ALTS),
        b"50",
        draw(FILTERS),
        draw(INFOS),
    ]
    if draw(st.booleans()):
        columns += [b"GT:AD", b"0/1:5,3"]
    line = b"\t".join(columns)
    return line + b"\r" if draw(st.integers(0, 9)) == 0 else line


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(lines(), max_size=40),
    chunk=st.sampled_from([7, 64, 1 << 22]),
    final_newline=st.booleans(),
    tmb=st.booleans(),
    keep_failed=st.booleans(),
)
def test_scan_agrees_with_a_line_by_line_reading(
    body: list[bytes],
    chunk: int,
    final_newline: bool,
    tmb: bool,
    keep_failed: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    text = HEADER + b"\n".join(body) + (b"\n" if final_newline else b"")
    rules = (
        TextRules(promote=PROMOTED, annotation_keys=KEYS, keep_failed=keep_failed)
        if tmb
        else TextRules(keep_failed=keep_failed)
    )
    path = tmp_path_factory.mktemp("scan") / "in.vcf"
    path.write_bytes(text)
    expected, expected_out = reference_scan(text, REGIONS, rules)
    picked = io.BytesIO()
    original = prefilter._CHUNK
    prefilter._CHUNK = chunk
    try:
        scan = scan_vcf_text(path, REGIONS, picked, text_rules=rules)
    finally:
        prefilter._CHUNK = original
    assert scan == expected
    assert picked.getvalue() == expected_out
    written = picked.getvalue()
    for offset in scan.offsets:  # each a candidate line's start
        assert offset == 0 or written[offset - 1 : offset] == b"\n"
        assert written[offset : offset + 1] != b"#"


def test_gvcf_reference_blocks_outside_the_regions_are_counted_not_parsed(
    tmp_path: Path,
) -> None:
    """'<NON_REF>' or '<*>' alone is no variant of its own: outside the regions such a line is
    counted as the reader counts it (an allele seen, annotated when it passes FILTER, never an
    annotated record, even with an annotation in INFO), not handed to the parser as every
    other symbolic ALT is; with a real ALT beside it, or inside a region, it is a candidate."""
    path = tmp_path / "in.vcf"
    path.write_bytes(
        HEADER
        + b"1\t500\t.\tA\t<NON_REF>\t.\tPASS\tEND=600;CSQ=A|intron_variant\n"
        + b"1\t601\t.\tA\t<*>\t.\tLowQual\tEND=700\n"
        + b"1\t701\t.\tA\tG,<NON_REF>\t.\tPASS\t.\n"
        + b"1\t150\t.\tA\t<NON_REF>\t.\tPASS\tEND=160\n"
    )
    rules = TextRules(promote=PROMOTED, annotation_keys=KEYS, keep_failed=False)
    scan = scan_vcf_text(path, REGIONS, io.BytesIO(), text_rules=rules)
    assert list(scan.candidates) == [3, 4]
    assert (scan.skipped_alleles, scan.skipped_passed_alleles, scan.skipped_filtered) == (2, 1, 1)
    assert scan.skipped_annotated_alleles == scan.skipped_annotated_passed_alleles == 0


def test_offsets_count_from_what_the_file_held_before(tmp_path: Path) -> None:
    """A part's candidates file holds the input's header before the part's lines: the
    offsets are in the file, not in the scanned text."""
    path = tmp_path / "in.vcf"
    path.write_bytes(
        HEADER
        + b"1\t150\t.\tA\tT\t50\tPASS\t.\n1\t9\t.\tA\tT\t50\tPASS\t.\n"
        + b"1\t160\t.\tA\tT\t50\tPASS\t.\n"
    )
    picked = io.BytesIO()
    picked.write(b"#before\n")
    scan = scan_vcf_text(path, REGIONS, picked)
    written = picked.getvalue()
    assert list(scan.candidates) == [1, 3]
    assert [written[at : written.index(b"\n", at)] for at in scan.offsets] == [
        b"1\t150\t.\tA\tT\t50\tPASS\t.",
        b"1\t160\t.\tA\tT\t50\tPASS\t.",
    ]
    assert not scan.header_among_records


def test_scan_reads_a_multi_block_bgzf_file(tmp_path: Path) -> None:
    records = [
        f"chr{chrom}\t{pos}\t.\tA\t{'C,G' if pos % 7 == 0 else 'T'}\t50\t"
        f"{'q10' if pos % 2 else 'PASS'}\tDP=10\n".encode()
        for chrom in (1, 2, 7)
        for pos in range(1, 30001, 3)
    ]
    text = HEADER.replace(b"\tFORMAT\tS1", b"") + b"".join(records)
    path = tmp_path / "in.vcf.gz"
    with pysam.BGZFile(str(path), "wb") as handle:
        handle.write(text)
    expected, expected_out = reference_scan(text, REGIONS, TextRules())
    picked = io.BytesIO()
    scan = scan_vcf_text(path, REGIONS, picked)
    assert scan.records == len(records)
    assert scan == expected
    assert picked.getvalue() == expected_out
    assert len(scan.candidates) == 34 + 1 + 3  # chr1 100-200 and 1000, chr7 50-60
    assert scan.skipped_filtered
