"""``run(config)``: the annotate steps in order, no click.

read → resolve consequence → match rules → interpret → write.
"""

from __future__ import annotations

from annotator import __version__
from annotator.config import AnnotateConfig
from annotator.consequence import ConsequenceResolver, read_annotation_format
from annotator.errors import InputError
from annotator.gene_regions import GeneLocator
from annotator.genome import resolve_build
from annotator.hotspots import HotspotResolver
from annotator.interpret import call_therapies
from annotator.matcher import (
    AlleleKey,
    RuleMatcher,
    SampleAllele,
    allele_key,
    find_unclassified,
)
from annotator.models import Result, Summary
from annotator.readers.vcf import VcfReader
from annotator.rules import RuleSet, load_rules
from annotator.tumor_types import load_oncotree
from annotator.writers.atomic import staged_outputs
from annotator.writers.json import write_json
from annotator.writers.tsv import write_tsv


def run(config: AnnotateConfig) -> Result:
    """Annotate one VCF for one sample and write the requested outputs."""
    oncotree = load_oncotree()
    tumor_type = oncotree.require(config.tumor_type).code
    rules = load_rules(config.rule_paths, bundled=config.bundled_rules, oncotree=oncotree)
    result = annotate_vcf(config, rules, tumor_type)
    write_outputs(config, result)
    return result


def annotate_vcf(config: AnnotateConfig, rules: RuleSet, tumor_type: str) -> Result:
    path = str(config.input)
    with VcfReader(config.input, sample=config.sample) as reader:
        header = reader.header
        build = resolve_build(config.genome, header.contigs, header.lines, path)
        resolver = ConsequenceResolver(
            read_annotation_format(header.info_descriptions, path), rules.genes
        )
        hotspots = HotspotResolver(rules.hotspot_index(build), rules.genes)
        locator = GeneLocator(rules.genes, build)
        matcher = RuleMatcher(rules, build=build, tumor_type=tumor_type, oncotree=load_oncotree())
        alleles: list[SampleAllele] = []
        genes_at: dict[AlleleKey, tuple[str, ...]] = {}
        seen_alleles = annotated = 0
        filtered_records: set[int] = set()
        for variant in reader:
            seen_alleles += 1
            if not variant.passed and not config.include_filtered:
                filtered_records.add(variant.record_index)
                continue
            annotated += 1
            try:
                if variant.annotations:
                    alterations = tuple(resolver.resolve(variant))
                else:
                    alterations = tuple(hotspots.resolve(variant))
            except InputError as error:
                error.path = error.path or path
                raise
            end = variant.pos + max(len(variant.ref), 1) - 1
            in_genes = locator.genes_at(variant.chrom, variant.pos, end)
            key = allele_key(variant)
            if alterations or in_genes or matcher.has_genomic_rule(key):
                alleles.append(SampleAllele(variant, alterations, bool(variant.annotations)))
                genes_at[key] = in_genes
        records = reader.records_read

    findings = matcher.match(alleles)
    unclassified = find_unclassified(alleles, rules.genes, findings, genes_at)
    therapy_calls = call_therapies(findings)
    summary = Summary(
        records=records,
        alleles=seen_alleles,
        skipped_filtered=len(filtered_records),
        alleles_annotated=annotated,
        alleles_in_rule_genes=len(alleles),
        findings=len(findings),
        unclassified=len(unclassified),
    )
    return Result(
        tool_version=__version__,
        rules_version=rules.version,
        rules_sha256=rules.sha256,
        input=path,
        sample=header.sample,
        tumor_type=tumor_type,
        genome=build,
        findings=tuple(findings),
        therapy_calls=tuple(therapy_calls),
        unclassified=tuple(unclassified),
        summary=summary,
    )


def write_outputs(config: AnnotateConfig, result: Result) -> None:
    json_path, tsv_path = config.output_paths(result.sample)
    with staged_outputs() as stage:
        if json_path is not None:
            stage.add_text(json_path, lambda stream: write_json(result, stream))
        if tsv_path is not None:
            stage.add_text(tsv_path, lambda stream: write_tsv(result, stream))
