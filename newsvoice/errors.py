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


def _ffmpeg_plain(text: str) -> str | None:
    low = text.lower()
    if "does not contain any stream" in low or "matches no streams" in low:
        return "it has no audio track"
    if "invalid data found" in low or "moov atom not found" in low or "could not find codec" in low:
        return "not audio or video that ffmpeg can decode"
    if "no such file" in low:
        return "no such file"
    if "permission denied" in low:
        return "permission denied"
    return None


def ffmpeg_reason(stderr: bytes | str) -> str:
    """One plain line for a failed ffmpeg run: what the user can act on ("it has no audio
    track"), never ffmpeg's raw multi-line stderr with its ``[in#0 @ 0x…]`` prefixes."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    plain = _ffmpeg_plain(text)
    if plain:
        return plain
    lines = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]
    last = lines[-1] if lines else "ffmpeg could not decode it"
    while last.startswith("[") and "]" in last:  # "[mp3 @ 0x55…] ..." -> "..."
        last = last.split("]", 1)[1].strip()
    return (last or "ffmpeg could not decode it")[:120]
