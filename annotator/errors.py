"""The one exception tree of the annotator, each class carrying its exit code.

Every message is one line: where (file, line or record), what, the offending value, a hint.
``cli.py`` is the only place that turns these into an exit; everything else raises.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class AnnotatorError(Exception):
    """Root of all errors the annotator reports to a user."""

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        self.hint = hint

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record}")
        text = shortened(one_line(self.message))
        if where:
            text = ": ".join([", ".join(where), text])
        if self.hint:
            text = f"{text} ({self.hint})"
        return one_line(text)


def one_line(text: str) -> str:
    """``text`` as one printable line: whitespace runs (newlines included) become one space
    and other unprintable characters an escape (``\\x00``, ``\\u200b``), whatever the offending
    value held."""
    return "".join(
        char if char.isprintable() else ascii(char)[1:-1] for char in " ".join(text.split())
    )


#: The longest message shown whole; a longer one (a cell of megabytes quoted in it) keeps
#: its start and end, which say what is wrong.
MAX_MESSAGE_CHARS = 1000


def shortened(text: str) -> str:
    """``text``, or its start and end around a count of the characters left out when it is
    longer than ``MAX_MESSAGE_CHARS``."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    head, tail = MAX_MESSAGE_CHARS * 2 // 3, MAX_MESSAGE_CHARS // 4
    return f"{text[:head]}...[{len(text) - head - tail} characters]...{text[-tail:]}"


class InputError(AnnotatorError):
    """A variant or annotation input that is missing, unreadable or malformed."""


class UnreadableRegion(InputError):
    """A region of an indexed input that htslib could not read through the index (a corrupt
    BGZF block, or an index of another compression of the file): a pass over the whole file
    either reads it or reports the record that cannot be read."""


class RulesError(AnnotatorError):
    """A rules file that is missing or invalid. ``problems`` lists every error found."""

    def __init__(
        self, message: str, *, problems: list[str] | None = None, **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.problems = problems or []


class UsageError(AnnotatorError):
    """A command-line option or combination of options that cannot work."""

    exit_code = EXIT_USAGE


class ProteinNotationError(ValueError):
    """A protein change that the notation parser cannot read.

    Not an ``AnnotatorError``: callers turn it into an ``unclassified`` entry or a rules error
    with their own context.
    """
