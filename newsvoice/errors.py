"""Exceptions that map to the CLI's documented exit codes.

0 ok, 1 input error, 2 usage error (Click's own), 3 engine or network failure.
"""


class NewsvoiceError(Exception):
    """Base class: a user-facing error with a one-line message."""

    exit_code = 1


class InputError(NewsvoiceError):
    """The article or an option value cannot be used (exit 1)."""

    exit_code = 1


class UsageError(NewsvoiceError):
    """Options that cannot work together or a value out of range (exit 2), found before
    any work: the CLI says which option, the service answers 422 naming the field."""

    exit_code = 2

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option  # the option's flag ("--min-dur"), when one is to blame


class OutputError(NewsvoiceError):
    """The output cannot be written (exit 1): nothing half-written is left."""

    exit_code = 1


class EngineError(NewsvoiceError):
    """A speech engine or the network failed (exit 3)."""

    exit_code = 3
