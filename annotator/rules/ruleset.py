"""A loaded rule set: the rules, gene table, hotspots and drug table of one run, with the
indexes the matcher looks them up by (:class:`RuleSet`), and the helpers that read names of
drugs and regimens. :mod:`annotator.rules.loader` makes one from rules files,
:mod:`annotator.rules.cache` takes one from the cache.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from annotator.genome import normalize_chrom
from annotator.rules.schema import SMALL_VARIANT_KINDS, Drug, GeneSpec, Hotspot, Rule, Selector

FUSION_SEPARATOR = "::"
#: A hotspot index key: chromosome without ``chr``, position, REF, ALT.
AlleleKey = tuple[str, int, str, str]


@dataclass(frozen=True)
class RuleOrigin:
    """Where a rule was read from: its file and the line of its entry."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class RuleSet:
    """The rules, gene table, hotspots and drug table of one run, with indexes.

    ``sha256`` is the SHA-256 of the bytes of every loaded file, concatenated in load order
    (for the bundled set alone: ``cat rules/*.yaml | sha256sum`` in the C locale). ``drugs``
    is keyed by generic name; ``origins`` gives each rule id's file and line.
    """

    version: str
    sha256: str
    files: tuple[Path, ...]
    genes: Mapping[str, GeneSpec]
    rules: tuple[Rule, ...]
    hotspots: tuple[Hotspot, ...] = ()
    drugs: Mapping[str, Drug] = dataclasses.field(default_factory=dict)
    origins: Mapping[str, RuleOrigin] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )
    _index: Mapping[str, tuple[Rule, ...]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    _gene_symbols: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    _lof_genes: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    _copy_number_genes: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    _small_variant_genes: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    _hotspot_indexes: Mapping[str, Mapping[AlleleKey, tuple[Hotspot, ...]]] = dataclasses.field(
        init=False, repr=False, compare=False
    )
    _drug_names: Mapping[str, Drug] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "genes", MappingProxyType(dict(self.genes)))
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "hotspots", tuple(self.hotspots))
        object.__setattr__(self, "drugs", MappingProxyType(dict(self.drugs)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))
        index: dict[str, list[Rule]] = {}
        symbols: set[str] = set()
        for rule in self.rules:
            partners = fusion_partners(rule.alteration)
            for key in dict.fromkeys([rule.gene, *partners]):
                index.setdefault(key, []).append(rule)
            symbols.update(genes_matched(rule.gene, rule.alteration))
            for condition in (*rule.requires, *rule.excludes):
                symbols.update(genes_matched(condition.gene, condition))
        object.__setattr__(
            self, "_index", MappingProxyType({k: tuple(v) for k, v in index.items()})
        )
        object.__setattr__(self, "_gene_symbols", frozenset(symbols))
        selectors = list(gene_selectors(self.rules))
        lof_genes = frozenset(
            gene for gene, selector in selectors if selector.gene_class == "loss_of_function"
        )
        object.__setattr__(self, "_lof_genes", lof_genes)
        object.__setattr__(
            self,
            "_copy_number_genes",
            lof_genes.union(gene for gene, selector in selectors if selector.copy_number),
        )
        object.__setattr__(
            self,
            "_small_variant_genes",
            frozenset(gene for gene, selector in selectors if selector.kind in SMALL_VARIANT_KINDS),
        )
        by_build: dict[str, dict[AlleleKey, list[Hotspot]]] = {}
        for hotspot in self.hotspots:
            for build, allele in hotspot.alleles.items():
                found = (normalize_chrom(allele.chrom), allele.pos, allele.ref, allele.alt)
                by_build.setdefault(build, {}).setdefault(found, []).append(hotspot)
        object.__setattr__(
            self,
            "_hotspot_indexes",
            MappingProxyType(
                {
                    build: MappingProxyType({key: tuple(found) for key, found in keys.items()})
                    for build, keys in by_build.items()
                }
            ),
        )
        names: dict[str, Drug] = {}
        for drug in self.drugs.values():
            for name in drug_names(drug):
                names.setdefault(fold_name(name), drug)
        object.__setattr__(self, "_drug_names", MappingProxyType(names))

    def for_gene(self, gene: str) -> tuple[Rule, ...]:
        """Rules of ``gene``: a symbol, a fusion name (``BCR::ABL1``), ``MSI`` or ``TMB``.

        A fusion rule is listed under its fusion name and under each partner gene.
        """
        return self._index.get(gene, ())

    @property
    def gene_symbols(self) -> frozenset[str]:
        """Every gene a rule or condition can match, fusion partners included.

        Fusion names and the biomarker pseudo-genes MSI and TMB are not genes and not listed.
        """
        return self._gene_symbols

    @property
    def loss_of_function_genes(self) -> frozenset[str]:
        """Genes with a ``gene_class: loss_of_function`` rule or condition."""
        return self._lof_genes

    @property
    def copy_number_genes(self) -> frozenset[str]:
        """Genes a copy-number event can match a rule or condition of: a ``copy_number``
        selector, or ``gene_class: loss_of_function`` (a deep deletion is a loss of function)."""
        return self._copy_number_genes

    @property
    def small_variant_genes(self) -> frozenset[str]:
        """Genes a small variant (SNV, MNV, indel) can match a rule or condition of
        (:data:`~annotator.rules.schema.SMALL_VARIANT_KINDS`). The others' rules take only
        expression, copy number or fusions: no small variant of theirs is unclassified."""
        return self._small_variant_genes

    def hotspot_index(self, build: str) -> Mapping[AlleleKey, tuple[Hotspot, ...]]:
        """The hotspots of ``build`` by allele: (chromosome without ``chr``, pos, REF, ALT).

        Chromosome names are normalized as :func:`annotator.genome.normalize_chrom` does
        (``chrM`` and ``M`` are ``MT``). Empty for a build no hotspot gives.
        """
        return self._hotspot_indexes.get(build, MappingProxyType({}))

    def drug_lookup(self, name: str) -> Drug | None:
        """The drug with this generic name, brand name or synonym (any case), or None."""
        return self._drug_names.get(fold_name(name))

    def origin(self, rule_id: str) -> RuleOrigin | None:
        """The file and line a rule was read from (None for a set built in code)."""
        return self.origins.get(rule_id)


def drug_names(drug: Drug) -> tuple[str, ...]:
    """Every name of a drug: the generic name, then brand names, then synonyms."""
    return (drug.name, *drug.brand_names, *drug.synonyms)


def fold_name(name: str) -> str:
    """A drug or class name as compared: case-folded, inner whitespace collapsed."""
    return " ".join(name.split()).casefold()


def split_regimen(therapy: str) -> tuple[str, ...]:
    """The drugs of a regimen: ``'dabrafenib + trametinib'`` → ``('dabrafenib', 'trametinib')``."""
    return tuple(part.strip() for part in therapy.split("+"))


def fusion_partners(selector: Selector) -> tuple[str, ...]:
    return tuple(selector.fusion.split(FUSION_SEPARATOR)) if selector.fusion else ()


def gene_selectors(rules: Sequence[Rule]) -> Iterator[tuple[str, Selector]]:
    """(gene, selector) of every rule and of every requires/excludes condition."""
    for rule in rules:
        yield rule.gene, rule.alteration
        for condition in (*rule.requires, *rule.excludes):
            yield condition.gene, condition


def genes_matched(gene: str, selector: Selector) -> tuple[str, ...]:
    """The real genes a rule or condition on ``gene`` with ``selector`` can match."""
    if selector.fusion:
        return fusion_partners(selector)
    if selector.biomarker:
        return ()
    return (gene,)
