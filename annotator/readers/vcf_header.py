"""What a VCF header says about how to read it: which sample is the tumor (``--sample``, else
``##tumor_sample``, else the only one) and which variant caller wrote the file (the table in
:mod:`annotator.readers.vcf`'s docstring), for :class:`annotator.readers.vcf.VcfReader`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from annotator.errors import InputError, UsageError

#: The callers whose VAF and depth fields the reader knows (see "Caller fields" above).
CALLERS = (
    "mutect2",
    "strelka2",
    "vardict",
    "freebayes",
    "varscan2",
    "deepvariant",
    "octopus",
    "info",
    "generic",
)
#: What ``VcfReader(caller=...)`` accepts: ``auto`` (detect from the header) or a caller.
CALLER_CHOICES = ("auto", *CALLERS)

# Header line prefixes (lower case) that name the caller which wrote the file.
_CALLER_LINES: tuple[tuple[str, str], ...] = (
    ("##source=mutect2", "mutect2"),
    ("##source=filtermutectcalls", "mutect2"),
    ("##mutectversion=", "mutect2"),
    ("##gatkcommandline=<id=mutect2,", "mutect2"),
    ("##gatkcommandline.mutect2=", "mutect2"),  # GATK 3 MuTect2
    ("##source=strelka", "strelka2"),
    ("##source=vardict", "vardict"),
    ("##source=freebayes", "freebayes"),
    ("##source=varscan", "varscan2"),
    ("##deepvariant_version=", "deepvariant"),
    ("##source=deepvariant", "deepvariant"),
    ("##octopus=", "octopus"),
)

_MAX_LISTED_SAMPLES = 10


def _header_value(lines: Sequence[str], key: str) -> str | None:
    return next(header_values(lines, key), None)


def header_values(lines: Sequence[str], key: str) -> Iterator[str]:
    """The values of the ``##key=value`` lines, in order."""
    prefix = f"##{key}="
    for line in lines:
        if line.startswith(prefix):
            yield line[len(prefix) :].strip().strip('"')


def list_samples(samples: Sequence[str]) -> str:
    shown = ", ".join(samples[:_MAX_LISTED_SAMPLES])
    if len(samples) > _MAX_LISTED_SAMPLES:
        shown += f" and {len(samples) - _MAX_LISTED_SAMPLES} more"
    return shown


def choose_sample(
    samples: tuple[str, ...], requested: str | None, lines: Sequence[str], path: str
) -> str | None:
    """The tumor sample: the one requested, else ``##tumor_sample``, else the only one."""
    if requested is not None:
        if not samples:
            raise UsageError(
                f"--sample {requested} was given but the file has no sample columns",
                path=path,
                hint="leave out --sample for a sites-only VCF",
            )
        if requested not in samples:
            raise UsageError(
                f"sample '{requested}' is not in the file",
                path=path,
                hint=f"choose one of: {list_samples(samples)}",
            )
        return requested
    if not samples:
        return None
    tumor = _header_value(lines, "tumor_sample")
    if tumor is not None:
        if tumor in samples:
            return tumor
        raise InputError(
            f"##tumor_sample={tumor} names no sample of the file "
            f"(samples: {list_samples(samples)})",
            path=path,
            hint="choose the tumor sample with --sample NAME",
        )
    if len(samples) == 1:
        return samples[0]
    raise UsageError(
        f"the file has {len(samples)} samples ({list_samples(samples)}) and no "
        "##tumor_sample line to tell which is the tumor",
        path=path,
        hint="choose the tumor sample with --sample NAME",
    )


def check_caller(caller: str | None) -> str | None:
    """The caller named by ``caller=``; None for ``auto`` (detect it from the header)."""
    if caller is None:
        return None
    name = caller.strip().lower()
    if name == "auto":
        return None
    if name not in CALLERS:
        raise UsageError(
            f"unknown variant caller '{caller}'", hint=f"choose one of: {', '.join(CALLER_CHOICES)}"
        )
    return name


def detect_caller(lines: Sequence[str], info_ids: frozenset[str], *, has_sample: bool) -> str:
    """The caller named by the header lines; ``info`` or ``generic`` when none is."""
    found: set[str] = set()
    for line in lines:
        if not line.startswith("##"):
            continue
        lowered = line.lower()
        found.update(name for prefix, name in _CALLER_LINES if lowered.startswith(prefix))
    if len(found) == 1:
        (only,) = found
        return only
    if found:
        return "generic"  # two callers named: no one set of fields to trust
    if "TVAF" in info_ids or "TDP" in info_ids:
        return "info"
    # A sites-only file's INFO AF is as often a population frequency (gnomAD, 1000 Genomes)
    # as a tumor VAF: it is read only when the user says --caller info.
    del has_sample
    return "generic"
