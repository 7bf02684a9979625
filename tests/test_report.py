"""HTML and Markdown reports: sections, order, escaping, self-containment, determinism.

Results come from the real pipeline on the demo VCF (LUAD, with TMB) and on the demo VCF plus
a BCR::ABL1 fusion (CML); hostile values are put into copies of them with
``dataclasses.replace``.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pytest
from jinja2 import StrictUndefined

from annotator.config import AnnotateConfig
from annotator.errors import UsageError
from annotator.matcher import variant_label
from annotator.models import (
    Alteration,
    Call,
    Effect,
    EvidenceLevel,
    Finding,
    MatchType,
    NearMiss,
    NearMissReason,
    Result,
    TherapyCall,
    TumorTypeMatch,
    Unclassified,
    VariantClass,
)
from annotator.pipeline import run
from annotator.writers import plots
from annotator.writers.html import (
    CONTENT_SECURITY_POLICY,
    _environment,
    cite,
    render_html,
    report_timestamp,
)
from annotator.writers.json import finding_to_dict
from annotator.writers.markdown import escape_markdown, render_markdown
from annotator.writers.plots import vaf_plot_svg, vaf_points
from tests.factories import variant

DEMO = Path(__file__).resolve().parent.parent / "test_data" / "demo.grch38.vep.vcf.gz"
GENERATED = "2024-01-02 03:04:05 UTC"
HOSTILE_SAMPLE = "<script>alert(1)</script>\"'&"
CITATION_LINK = re.compile(r"^https://(pubmed\.ncbi\.nlm\.nih\.gov/[0-9]+/|doi\.org/10\.\S+)$")
SECTIONS = (
    "header",
    "summary",
    "actionable",
    "off-label",
    "filtered",
    "unclassified",
    "near-misses",
    "plots",
    "methods",
)


@pytest.fixture(scope="module")
def luad() -> Result:
    (result,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", panel_size_mb=1.1))
    return result


@pytest.fixture(scope="module")
def cml(tmp_path_factory: pytest.TempPathFactory) -> Result:
    fusions = tmp_path_factory.mktemp("fusions") / "fusions.tsv"
    fusions.write_text("fusion\nBCR--ABL1\n")
    (result,) = run(AnnotateConfig(input=DEMO, tumor_type="CML", fusions=fusions))
    return result


@pytest.fixture
def hostile(luad: Result) -> Result:
    """The LUAD result with markup and script URLs in every input-derived text field."""
    first = replace(
        luad.findings[0],
        gene="EGFR<b>",
        detail="javascript:alert(1)",
        notes="<img src=x onerror=alert(1)> | pipe",
        citations=(
            "PMID:15737014",
            'PMID:1" onmouseover="alert(1)',
            'DOI:10.1000/x"><script>alert(1)</script>',
            "javascript:alert(1)",
        ),
    )
    event = Alteration(
        gene="BCR::ABL1<script>",
        variant_class=VariantClass.OTHER,
        event="fusion",
        source="fusion-tsv",
        detail="javascript:alert(1)",
    )
    variant = luad.findings[0].variant
    assert variant is not None
    return replace(
        luad,
        sample=HOSTILE_SAMPLE,
        input="<script>in.vcf",
        tumor_type_name="<script>Lung</script>",
        command_line="resistance-annotator annotate '<script>'",
        findings=(first, *luad.findings[1:]),
        events=(event,),
        notes=("<script>note</script>",),
        unclassified=(Unclassified("EGFR", variant, "reason <script>x</script> | y"),),
        near_misses=(
            NearMiss(
                "EGFR-X", "EGFR", "<svg onload=alert(1)>", None, NearMissReason.EXCLUDED, "<s>"
            ),
        ),
        filtered_findings=((luad.findings[1], "VAF <script> below --min-vaf"),),
        therapy_calls=(
            TherapyCall("<script>drug", Call.RESISTANCE, EvidenceLevel.A, ("R",), "<i>"),
        ),
    )


def html_of(result: Result) -> str:
    stream = io.StringIO()
    render_html(result, stream, generated=GENERATED)
    return stream.getvalue()


def markdown_of(result: Result) -> str:
    stream = io.StringIO()
    render_markdown(result, stream, generated=GENERATED)
    return stream.getvalue()


class Links(HTMLParser):
    """Every tag name and every href/src value of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value or "")
            elif name in {"src", "srcset", "action", "formaction", "data", "poster"}:
                self.sources.append(value or "")


def links_of(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


# --- content ---------------------------------------------------------------------------------


def test_html_has_every_section_and_the_header_fields(luad: Result) -> None:
    html = html_of(luad)
    for section in SECTIONS:
        assert f'id="{section}"' in html
    assert "For research use only — not for clinical decision making" in html
    for value in ("TUMOR", "LUAD", "GRCh38", str(DEMO.name), GENERATED, luad.rules_sha256):
        assert value in html
    assert f"resistance-annotator {luad.tool_version}" in html
    assert f"version {luad.rules_version}" in html
    assert "mutect2" in html


def test_both_reports_say_what_a_finding_cannot_tell(luad: Result) -> None:
    """A tumor board reads the report, not the README: its limits are in the Methods."""
    html, markdown = html_of(luad), markdown_of(luad)
    assert "<strong>Limits.</strong> A finding says that a curated rule names the" in html
    assert "- **Limits.** A finding says that a curated rule names the" in markdown
    for text in (html, markdown):
        assert "Germline and somatic variants are not told apart" in text
        assert "not a treatment recommendation" in text


def test_html_shows_the_tumor_type_name_when_known(luad: Result) -> None:
    html = html_of(replace(luad, tumor_type_name="Lung Adenocarcinoma"))
    assert "LUAD (Lung Adenocarcinoma)" in html


def test_therapy_calls_resistance_first_then_conflicting_then_sensitivity(luad: Result) -> None:
    calls = (
        TherapyCall("aaa-sensitive", Call.SENSITIVITY, EvidenceLevel.A, ("R1",), "s"),
        TherapyCall("bbb-conflicting", Call.CONFLICTING, EvidenceLevel.B, ("R2",), "c"),
        TherapyCall("ccc-resistant", Call.RESISTANCE, EvidenceLevel.C, ("R3",), "r"),
    )
    for text in (
        html_of(replace(luad, therapy_calls=calls)),
        markdown_of(replace(luad, therapy_calls=calls)),
    ):
        positions = [
            text.index(name) for name in ("ccc-resistant", "bbb-conflicting", "aaa-sensitive")
        ]
        assert positions == sorted(positions)


def test_demo_summary_puts_the_t790m_resistance_calls_first(luad: Result) -> None:
    summary = html_of(luad).split('id="summary"')[1].split('id="actionable"')[0]
    order = re.findall(r"<td><strong>([a-z]+)</strong></td>", summary)
    assert order == ["erlotinib", "gefitinib", "afatinib", "osimertinib"]
    assert "EGFR T790M (A) outweighs EGFR L858R" in summary


def test_on_label_findings_are_grouped_by_level_a_to_d(luad: Result) -> None:
    on_label = [f for f in luad.findings if f.tumor_type_match is TumorTypeMatch.ON_LABEL]
    regrouped = (
        replace(on_label[0], evidence_level=EvidenceLevel.D, rule_id="RULE-LEVEL-D"),
        replace(on_label[1], evidence_level=EvidenceLevel.B, rule_id="RULE-LEVEL-B"),
        replace(on_label[2], rule_id="RULE-LEVEL-A"),
    )
    html = html_of(replace(luad, findings=regrouped))
    actionable = html.split('id="actionable"')[1].split('id="off-label"')[0]
    headings = re.findall(r"<h3>Level ([A-D])</h3>", actionable)
    assert headings == ["A", "B", "D"]
    ids = [actionable.index(f"RULE-LEVEL-{level}") for level in "ABD"]
    assert ids == sorted(ids)


def test_off_label_findings_are_listed_apart(luad: Result) -> None:
    html = html_of(luad)
    actionable = html.split('id="actionable"')[1].split('id="off-label"')[0]
    off_label = html.split('id="off-label"')[1].split('id="filtered"')[0]
    assert "KRAS" not in actionable
    assert "KRAS" in off_label
    assert "COADREAD" in off_label


def test_off_label_levels_are_not_counted_as_this_tumor_types(luad: Result) -> None:
    """Regression: KRAS (COADREAD, level A) in a LUAD sample was shown as "Level A", counted
    in Methods against "FDA-approved therapy ... for this tumor type" and stacked on A in the
    level plot."""
    html = html_of(luad)
    off_label = html.split('id="off-label"')[1].split('id="filtered"')[0]
    assert '<th scope="col" class="wrap">Level (in rule&#39;s tumor types)</th>' in off_label
    methods = html.split('id="methods"')[1]
    assert '<th scope="col" class="num">On-label findings</th>' in methods
    assert (
        '<tr><th scope="row">A</th><td>FDA-approved therapy or professional guideline for '
        'this tumor type.</td><td class="num">3</td></tr>'
    ) in methods
    assert "Off-label findings are not counted" in methods
    plots = html.split('id="plots"')[1].split('id="methods"')[0]
    assert "<title>level A: 3 on-label</title>" in plots
    assert "off-label</title>" not in plots
    markdown = markdown_of(luad)
    assert "| Therapies | Level (in rule's tumor types) | Rule tumor types |" in markdown
    assert "| A | FDA-approved therapy or professional guideline for this tumor type. | 3 |" in (
        markdown
    )
    assert "(off-label)" not in markdown  # the off-label table's header says it


def test_off_label_rows_name_their_rule(luad: Result) -> None:
    """Regression: two rules on one PTEN deletion (PTEN-DEL-TRASTUZUMAB-R and
    PTEN-LOF-TRASTUZUMAB-R) gave two identical off-label rows."""
    off = next(f for f in luad.findings if f.tumor_type_match is TumorTypeMatch.OFF_LABEL)
    (first, second) = (replace(off, rule_id=f"PTEN-{n}-R") for n in ("DEL", "LOF"))
    result = replace(luad, findings=(first, second))
    off_label = html_of(result).split('id="off-label"')[1].split('id="filtered"')[0]
    assert '<th scope="col">Rule</th>' in off_label
    assert '<td class="mono rule-id">PTEN-DEL-R</td>' in off_label
    assert '<td class="mono rule-id">PTEN-LOF-R</td>' in off_label
    markdown = markdown_of(result).split("## Off-label findings")[1].split("## Filtered")[0]
    assert "| Rule tumor types | Rule | Citations |" in markdown
    assert "| PTEN-DEL-R |" in markdown
    assert "| PTEN-LOF-R |" in markdown


def test_tumor_agnostic_rules_show_all_tumor_types_and_their_exclusions() -> None:
    """Regression: the pembrolizumab MSI-H rule (include ALL, exclude MYELOID, LYMPH) was
    shown as a bare "ALL", also off-label in an AML sample."""
    shown = "all tumor types, not MYELOID, LYMPH"
    (aml,) = run(AnnotateConfig(input=DEMO, tumor_type="AML", msi_status="MSI-H", explain=True))
    (finding,) = (f for f in aml.findings if f.rule_id == "MSI-H-PEMBROLIZUMAB-S")
    assert finding_to_dict(finding)["rule_tumor_types"] == ["ALL"]
    assert finding_to_dict(finding)["rule_tumor_types_excluded"] == ["MYELOID", "LYMPH"]
    html = html_of(aml)
    off_label = html.split('id="off-label"')[1].split('id="filtered"')[0]
    assert f"<td>{shown}</td>" in off_label
    near = html.split('id="near-misses"')[1].split('id="plots"')[0]
    assert f"rule needs {shown} (sample AML)" in near
    assert f"| {shown} | MSI-H-PEMBROLIZUMAB-S |" in markdown_of(aml)
    (luad,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", msi_status="MSI-H"))
    assert f"on-label (rule: {shown})" in html_of(luad)
    assert f"Tumor type: on-label (rule: {shown})" in markdown_of(luad)


def test_set_aside_off_label_findings_mark_their_level() -> None:
    (coad,) = run(AnnotateConfig(input=DEMO, tumor_type="COAD", min_vaf=0.2))
    filtered = html_of(coad).split('id="filtered"')[1].split('id="unclassified"')[0]
    assert "<td>A (off-label)</td>" in filtered  # EGFR T790M, an NSCLC rule
    assert "<td>A</td>" in filtered  # KRAS, on-label in COAD
    assert "| resistance | gefitinib, erlotinib | A (off-label) | NSCLC |" in markdown_of(coad)


def test_finding_card_shows_vaf_depth_phase_subclonal_and_detail(luad: Result) -> None:
    finding = replace(
        luad.findings[0],
        subclonal=True,
        phase="cis",
        phase_source="vcf",
        detail="called by two tools",
    )
    card = html_of(replace(luad, findings=(finding,))).split('id="actionable"')[1]
    card = card.split("</article>")[0]
    assert "0.121 / 388" in card
    assert "subclonal" in card
    assert "cis (VCF phasing (GT|PS, PGT/PID))" in card
    assert "called by two tools" in card
    assert "on-label (rule: NSCLC)" in card
    assert "T790M (p.Thr790Met)" in card


def test_findings_of_records_that_failed_filter_say_so() -> None:
    """Regression: with --include-filtered, PIK3CA H1047R (FILTER weak_evidence) made an
    alpelisib call in BRCA and neither report showed the FILTER it failed."""
    (brca,) = run(AnnotateConfig(input=DEMO, tumor_type="BRCA", include_filtered=True))
    html = html_of(brca)
    summary = html.split('id="summary"')[1].split('id="actionable"')[0]
    assert "PIK3CA H1047R (A, subclonal, FILTER weak_evidence)" in summary
    card = html.split('id="actionable"')[1].split("PIK3CA</span>")[1].split("</article>")[0]
    assert '<span class="badge failed-filter">FILTER weak_evidence</span>' in card
    assert "weak_evidence: the record failed FILTER (annotated with --include-filtered)" in card
    markdown = markdown_of(brca)
    assert "PIK3CA H1047R (A, subclonal, FILTER weak\\_evidence)" in markdown
    assert "level A (subclonal, FILTER weak\\_evidence)" in markdown
    assert "  - FILTER: weak\\_evidence: the record failed FILTER" in markdown
    (luad,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", include_filtered=True))
    off_label = html_of(luad).split('id="off-label"')[1].split('id="filtered"')[0]
    assert '<br><span class="failed-filter">FILTER weak_evidence</span>' in off_label
    assert "chr3:179234297 A>G; FILTER weak\\_evidence |" in markdown_of(luad)


def test_citations_link_pmid_and_doi_and_name_review_references(luad: Result) -> None:
    html = html_of(luad)
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/15737014/" rel="noreferrer">' in html
    assert '<a href="https://doi.org/10.1056/NEJMoa044238" rel="noreferrer">' in html
    assert "<span>review ref. 38</span>" in html
    assert "REVIEW:38" not in html


@pytest.mark.parametrize(
    ("citation", "text", "url"),
    [
        ("PMID:15737014", "PMID:15737014", "https://pubmed.ncbi.nlm.nih.gov/15737014/"),
        (
            "DOI:10.1016/S0140-6736(17)32440-6",
            "DOI:10.1016/S0140-6736(17)32440-6",
            "https://doi.org/10.1016/S0140-6736%2817%2932440-6",
        ),
        ("REVIEW:38", "review ref. 38", None),
        ("javascript:alert(1)", "javascript:alert(1)", None),
        ('PMID:1" onclick="x', 'PMID:1" onclick="x', None),
    ],
)
def test_cite(citation: str, text: str, url: str | None) -> None:
    shown = cite(citation)
    assert (shown.text, shown.url) == (text, url)


def test_event_findings_and_events_table(cml: Result) -> None:
    html = html_of(cml)
    actionable = html.split('id="actionable"')[1].split('id="off-label"')[0]
    assert "BCR::ABL1" in actionable
    assert "fusion TSV" in actionable  # the event's detail
    assert "on-label (rule: CML)" in actionable
    summary = html.split('id="summary"')[1].split('id="actionable"')[0]
    assert "imatinib" in summary
    methods = html.split('id="methods"')[1]
    assert "<td><strong>BCR::ABL1</strong></td><td>fusion</td><td>fusion-tsv</td>" in methods


def test_methods_state_the_policies_levels_and_tmb(luad: Result) -> None:
    methods = html_of(luad).split('id="methods"')[1]
    assert "MANE Select" in methods
    assert "never make a therapy call" in methods
    assert "at least as strong as the strongest sensitivity level" in methods
    assert "FDA-approved therapy or professional guideline for this tumor type." in methods
    assert "Preclinical studies or case reports" in methods
    assert "per megabase of panel" in methods  # the TMB definition from the result
    assert "TMB-low" in methods


def test_filtered_unclassified_near_misses_with_reasons(hostile: Result) -> None:
    html = html_of(hostile)
    assert "VAF &lt;script&gt; below --min-vaf" in html.split('id="filtered"')[1]
    assert "reason &lt;script&gt;x&lt;/script&gt; | y" in html.split('id="unclassified"')[1]
    near = html.split('id="near-misses"')[1].split('id="plots"')[0]
    assert "<code>excluded</code>" in near


def test_the_unclassified_list_says_what_it_leaves_out(hostile: Result) -> None:
    """The small variants of genes whose rules take none (TYMS, ERBB2 ...) are not listed:
    a reader must not take their absence for a clean result."""
    html, markdown = html_of(hostile), markdown_of(hostile)
    listed = html.split('id="unclassified"')[1].split('id="near-misses"')[0]
    assert "concern only its expression, copy number or fusions are not listed" in listed
    listed = markdown.split("## Unclassified variants")[1].split("## Near misses")[0]
    assert "concern only its expression, copy number or fusions are not listed" in listed


def test_empty_near_misses_say_whether_explain_was_given(luad: Result) -> None:
    """Regression: "None (listed with --explain)" was shown with --explain too."""
    assert luad.explained is False
    for text in (html_of(luad), markdown_of(luad)):
        assert "None listed: near misses are listed with --explain." in text
        assert "no rule came close" not in text
    (explained,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", explain=True))
    assert explained.explained is True
    for text in (
        html_of(replace(explained, near_misses=())),
        markdown_of(replace(explained, near_misses=())),
    ):
        assert "None: no rule came close." in text
        assert "listed with --explain" not in text


def test_events_section_names_the_event_inputs_not_given(luad: Result, cml: Result) -> None:
    """Regression: "No gene-level event (fusion, copy number, expression, MSI, TMB) in rule
    genes" was said when none of those inputs had been given."""
    (bare,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD"))
    assert bare.event_inputs == ()
    not_given = (
        "Not assessed, no input given: fusion (--fusions, or structural-variant records in "
        "the VCF); copy number (--cnv); expression (--expression); MSI (--msi-status or "
        "--msi-file); TMB (--panel-size-mb with an annotated VCF)."
    )
    for text in (html_of(bare), markdown_of(bare)):
        assert not_given in text
        assert "No gene-level event" not in text
    assert luad.event_inputs == ("TMB",)  # --panel-size-mb 1.1, TMB-low: no event
    methods = html_of(luad).split('id="methods"')[1]
    assert "No gene-level event in rule genes from the inputs given (TMB)." in methods
    assert "Not assessed, no input given: fusion (" in methods
    assert "TMB (--panel" not in methods
    assert cml.event_inputs == ("fusion",)  # one event: the table, and what was not given
    markdown = markdown_of(cml).split("### Events")[1]
    assert "| **BCR::ABL1** | fusion |" in markdown
    assert "No gene-level event" not in markdown
    assert "Not assessed, no input given: copy number (--cnv);" in markdown


def test_near_miss_alteration_of_a_long_allele_is_shortened(luad: Result) -> None:
    """Regression: an unclassified 400-bp insertion's near misses put the whole allele in
    the Alteration cell, which overflowed the table."""
    alt = "C" + "ACGT" * 100
    long_insertion = variant("chr7", 55181319, "C", alt, vaf=0.22, depth=250)
    miss = NearMiss(
        "EGFR-T790M-1GTKI-R",
        "EGFR",
        variant_label(long_insertion),
        long_insertion,
        NearMissReason.UNCLASSIFIED,
        "annotated only on other transcripts",
    )
    result = replace(luad, near_misses=(miss,))
    shown = "chr7:55181319 C&gt;CACGTACGTACGTACGTACG…(401 bp)"
    near = html_of(result).split('id="near-misses"')[1].split('id="plots"')[0]
    assert f'<td class="long">{shown}</td>' in near
    assert alt not in near
    markdown = markdown_of(result).split("## Near misses")[1].split("## Methods")[0]
    assert f"| {shown.replace('&gt;', '>')} |" in markdown
    assert alt not in markdown
    assert "td.mono, td.long { overflow-wrap: anywhere; }" in html_of(result)


# --- plots -------------------------------------------------------------------------------------


def test_vaf_plot_has_a_dashed_threshold_line(luad: Result) -> None:
    html = html_of(luad)
    plots = html.split('id="plots"')[1].split('id="methods"')[0]
    assert plots.count("<svg") == 2
    assert 'stroke-dasharray="5 4"' in plots
    # 0.25 x the driver VAF (EGFR L858R 0.41, the top on-label sensitivity VAF) = 0.1025
    assert "subclonal threshold 0.102" in plots
    assert "KRAS Q61H (T&gt;A)" in plots  # two alleles, one protein change: named apart


def test_vaf_plot_line_is_the_subclonal_flag_threshold() -> None:
    """Regression: the line was 0.25 x the top VAF of any finding (BRCA2 0.478, off-label),
    whatever --subclonal-fraction, so EGFR T790M (0.121) was drawn right of the 0.119 line
    while flagged subclonal at 0.5 x the driver VAF (EGFR L858R 0.41)."""
    (result,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", subclonal_fraction=0.5))
    assert result.subclonal_fraction == 0.5
    html = html_of(result)
    assert "subclonal threshold 0.205<" in html
    assert "EGFR T790M: VAF 0.121 (subclonal)" in html
    methods = html.split('id="methods"')[1]
    expected = (
        "below 0.5 (--subclonal-fraction) × the driver VAF, the highest VAF among the on-label "
        "sensitivity findings. Driver VAF 0.41, so the threshold is VAF 0.205"
    )
    assert expected in methods
    assert expected in markdown_of(result)


def test_no_subclonal_line_without_a_driver_vaf(luad: Result) -> None:
    resistance_only = tuple(f for f in luad.findings if f.effect is not Effect.SENSITIVITY)
    html = html_of(replace(luad, findings=resistance_only))
    assert "subclonal threshold" not in html
    assert "Dashed line" not in html
    assert "No on-label sensitivity finding has a VAF: no finding is marked." in html


def test_plot_text_is_escaped() -> None:
    finding = Finding(
        rule_id="R",
        gene="<script>G",
        alteration='"&<x>',
        hgvsp=None,
        variant=variant(vaf=0.2),
        effect=Effect.RESISTANCE,
        therapies=("d",),
        evidence_level=EvidenceLevel.A,
        tumor_type_match=TumorTypeMatch.ON_LABEL,
        match_type=MatchType.PROTEIN,
        citations=("PMID:1",),
        subclonal=True,
    )
    svg = str(vaf_plot_svg(vaf_points([finding]), 0.05))
    assert "<script" not in svg
    assert "&lt;script&gt;G &#34;&amp;&lt;x&gt;" in svg
    assert "(subclonal)" in svg


# --- accessibility ------------------------------------------------------------------------------


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rgb or #rrggbb colours."""

    def luminance(color: str) -> float:
        digits = color.lstrip("#")
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_and_plot_colours_meet_wcag_contrast(luad: Result) -> None:
    """Regression: the subclonal badge (#d9822b, 2.93:1 on white) and the off-label bars
    (#a9c4d9, 1.81:1) failed WCAG AA: 4.5:1 for text, 3:1 for graphics."""
    styles = (resources.files("annotator.writers") / "templates" / "_styles.css.j2").read_text()
    colours = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{3,6})", styles))
    for name in ("ink", "muted", "accent", "resistance", "conflicting", "sensitivity", "subclonal"):
        for background in ("#fff", colours["panel"]):
            assert contrast(colours[name], background) >= 4.5, (name, background)
    for colour in (plots.CLONAL_COLOR, plots.ON_LABEL_COLOR, plots.THRESHOLD_COLOR):
        assert contrast(colour, "#fff") >= 3, colour
    assert contrast(plots.SUBCLONAL_COLOR, "#fff") >= 4.5  # also the "(subclonal)" text
    fills = set(re.findall(r'fill="(#[0-9a-f]{3,6})"', html_of(luad)))
    assert fills <= {
        plots.CLONAL_COLOR,
        plots.SUBCLONAL_COLOR,
        plots.AXIS_COLOR,
        plots.THRESHOLD_COLOR,
    }


class Tables(HTMLParser):
    """The scope attribute of each header cell, table by table."""

    def __init__(self) -> None:
        super().__init__()
        self.scopes: list[list[str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.scopes.append([])
        elif tag == "th":
            self.scopes[-1].append(dict(attrs).get("scope"))


def test_every_table_has_scoped_header_cells(luad: Result) -> None:
    """Regression: the run-summary and biomarker tables had no header cells."""
    tables = Tables()
    tables.feed(html_of(replace(luad, msi={"status": "MSS", "source": "--msi-status"})))
    assert len(tables.scopes) == 6  # calls, run summary, off-label, levels, TMB, MSI
    for scopes in tables.scopes:
        assert scopes, "a table without header cells"
        assert None not in scopes
    html = html_of(luad)
    assert '<tr><th scope="row">data records read</th><td class="num">21</td></tr>' in html
    assert '<tr><th scope="row">TMB status</th><td class="num">TMB-low</td></tr>' in html


# --- escaping and self-containment ---------------------------------------------------------------


def test_hostile_values_are_escaped_in_html(hostile: Result) -> None:
    html = html_of(hostile)
    assert "<script" not in html.lower()
    assert 'href="javascript:' not in html.lower()
    assert "onerror=" not in html.replace("onerror=alert", "")  # only as escaped text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    tags = set(links_of(html).tags)
    assert not tags & {"script", "img", "iframe", "object", "embed", "link", "b", "i", "s"}


def test_only_citation_links_and_fragments(hostile: Result, cml: Result) -> None:
    for result in (hostile, cml):
        html = html_of(result)
        links = links_of(html)
        assert links.sources == []
        for href in links.hrefs:
            assert href.startswith("#") or CITATION_LINK.match(href), href
        assert "url(" not in html
        assert "@import" not in html
        assert "<script" not in html.lower()


def test_content_security_policy_meta(luad: Result) -> None:
    html = html_of(luad)
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    )
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; '
        'style-src &#39;unsafe-inline&#39;; img-src data:">'
    ) in html
    # The policy comes before any content the browser could act on.
    assert html.index("Content-Security-Policy") < html.index("<style>")


def test_environment_escapes_and_is_strict() -> None:
    environment = _environment()
    assert environment.autoescape is True
    assert environment.undefined is StrictUndefined


def test_hostile_values_are_escaped_in_markdown(hostile: Result) -> None:
    markdown = markdown_of(hostile)
    assert "<script" not in markdown.lower()
    assert "](javascript:" not in markdown
    # Every pipe inside a cell is escaped: each row has as many bare pipes as its header.
    tables = re.findall(r"(?:^\|.*\n)+", markdown, flags=re.MULTILINE)
    assert len(tables) >= 6
    for table in tables:
        counts = {len(re.findall(r"(?<!\\)\|", row)) for row in table.splitlines()}
        assert len(counts) == 1, table
    assert r"\| pipe" in markdown


def test_escape_markdown() -> None:
    assert escape_markdown("a|b") == r"a\|b"
    assert escape_markdown("S1982Rfs*22") == r"S1982Rfs\*22"
    assert escape_markdown("<b>x</b>\nnext") == r"&lt;b>x&lt;/b> next"
    assert escape_markdown("[x](javascript:y)") == r"\[x\](javascript:y)"


def test_markdown_has_the_same_sections(luad: Result, cml: Result) -> None:
    markdown = markdown_of(luad)
    for heading in (
        "# Drug resistance and sensitivity report: TUMOR",
        "> **For research use only — not for clinical decision making.**",
        "## Summary: therapy calls",
        "## On-label findings",
        "### Level A",
        "## Off-label findings",
        "## Filtered findings",
        "## Unclassified variants",
        "## Near misses",
        "## Methods",
        "### Evidence levels (AMP/ASCO/CAP 2017)",
        "### Biomarkers",
        "### Events",
        "### Input notes",
    ):
        assert heading in markdown.splitlines(), heading
    assert "[PMID:15737014](https://pubmed.ncbi.nlm.nih.gov/15737014/)" in markdown
    assert "review ref. 38" in markdown
    assert "| **BCR::ABL1** | fusion | fusion-tsv | fusion TSV |" in markdown_of(cml)


# --- determinism and packaging --------------------------------------------------------------------


def test_output_is_deterministic_for_a_fixed_date(luad: Result) -> None:
    (again,) = run(AnnotateConfig(input=DEMO, tumor_type="LUAD", panel_size_mb=1.1))
    assert html_of(luad) == html_of(again)
    assert markdown_of(luad) == markdown_of(again)
    other = io.StringIO()
    render_html(luad, other, generated="1999-12-31 00:00:00 UTC")
    assert other.getvalue() == html_of(luad).replace(GENERATED, "1999-12-31 00:00:00 UTC")


def test_report_timestamp_from_source_date_epoch() -> None:
    assert report_timestamp({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01 00:00:00 UTC"
    assert report_timestamp({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14 22:13:20 UTC"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", report_timestamp({}))
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        report_timestamp({"SOURCE_DATE_EPOCH": "yesterday"})


def test_templates_ship_inside_the_package() -> None:
    templates = resources.files("annotator.writers") / "templates"
    assert (templates / "report.html.j2").is_file()
