"""How far from a gene a record's consequence annotation can name it: the rule regions' padding.

VEP and SnpEff give a variant up to 5 kb outside a transcript an ``upstream_gene_variant`` or
``downstream_gene_variant`` consequence naming the gene (VEP: ``--distance``, default
``5000,5000``, Bio::EnsEMBL::VEP::Config; SnpEff: ``-ud``/``-upDownStreamLen``, default 5000).
The full pass reports such a record in a rule gene as unclassified, so the fast paths, which
read only the gene spans padded by this distance, must pad by the distance the file was
annotated with. Both tools write their command line into the header (``##VEP-command-line=``
and ``##SnpEffCmd=``); a distance set in a VEP configuration file (``--config``,
``~/.vep/vep.ini``) is not written there and cannot be seen.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

#: VEP's and SnpEff's default up/downstream distance, in bases.
DEFAULT_DISTANCE = 5000

# VEP reads its options with Getopt::Long: one or two dashes, any unambiguous abbreviation
# ("--dis" is the shortest: "--di" is also "--dir"), the value after '=' or as the next word,
# one number or "upstream,downstream".
_VEP_OPTION = re.compile(r"--?dis(?:t(?:a(?:n(?:c(?:e)?)?)?)?)?(?:=(.*))?$")
_VEP_VALUE = re.compile(r"(\d+)(?:,(\d+))?$")
# SnpEff lower-cases its arguments before comparing them.
_SNPEFF_OPTIONS = ("-ud", "-updownstreamlen")


def gene_padding(header_lines: Iterable[str]) -> int:
    """The bases to add on each side of a gene span: the largest up/downstream distance the
    header's VEP or SnpEff command lines set, and never less than ``DEFAULT_DISTANCE``."""
    padding = DEFAULT_DISTANCE
    for line in header_lines:
        if line.startswith("##VEP-command-line="):
            distances = _vep_distances(_words(line, "##VEP-command-line="))
        elif line.startswith("##SnpEffCmd="):
            distances = _snpeff_distances(_words(line, "##SnpEffCmd="))
        else:
            continue
        padding = max([padding, *distances])
    return padding


def _words(line: str, key: str) -> list[str]:
    """The words of a command line written as a header value (quoted or not)."""
    value = line[len(key) :].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    try:
        return shlex.split(value)
    except ValueError:  # an unbalanced quote inside: split on white space
        return value.split()


def _vep_distances(words: list[str]) -> list[int]:
    distances: list[int] = []
    for index, word in enumerate(words):
        option = _VEP_OPTION.match(word)
        if option is None:
            continue
        value = option.group(1)
        if value is None:
            value = words[index + 1] if index + 1 < len(words) else ""
        numbers = _VEP_VALUE.match(value)
        if numbers is not None:
            distances.extend(int(number) for number in numbers.groups() if number is not None)
    return distances


def _snpeff_distances(words: list[str]) -> list[int]:
    return [
        int(words[index + 1])
        for index, word in enumerate(words[:-1])
        if word.lower() in _SNPEFF_OPTIONS and words[index + 1].isdigit()
    ]
