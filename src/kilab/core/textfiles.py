"""Reading a text file a user names (a config, a dataset, a prompt) as UTF-8, or a located error.

A file in another encoding (Latin-1, Windows-1252) or a binary file is a user error: the
message names the file, the line and column of the first bad byte, the byte itself and what
to do, and carries no traceback. A UTF-8 byte-order mark is dropped.
"""

from __future__ import annotations

from pathlib import Path

from kilab.core.errors import ConfigError, Location, Problem

# NUL bytes never occur in text; looking at the start is enough to call a file binary.
_BINARY_PROBE = 8192


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _encoding_hint(data: bytes) -> str:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "save it as UTF-8"
    return "it looks like Latin-1 or Windows-1252: save it as UTF-8"


def decode_utf8(file: Path, data: bytes, what: str = "file") -> str:
    """``data`` (the bytes of ``file``) as text.

    Raises:
        ConfigError: The bytes are binary or not UTF-8, located at the first bad byte.
    """
    nul = data.find(b"\x00", 0, _BINARY_PROBE)
    if nul >= 0:
        line, column = _position(data, nul)
        raise ConfigError(
            [
                Problem(
                    Location(file, line, column),
                    f"the {what} is a binary file, not UTF-8 text (a NUL byte)",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line, column = _position(data, start)
        raise ConfigError(
            [
                Problem(
                    Location(file, line, column),
                    f"the {what} is not UTF-8: byte 0x{data[start]:02x} cannot be decoded "
                    f"({exc.reason}); {_encoding_hint(data)}",
                )
            ]
        ) from None


def read_utf8(file: Path, what: str = "file", max_bytes: int | None = None) -> str:
    """The text of a UTF-8 file.

    Args:
        file: The file.
        what: What it is, for messages ("config file", "dataset", "prompt file").
        max_bytes: Refuse a larger file before reading it (None: no limit).

    Raises:
        ConfigError: The file cannot be read, is too large, binary or not UTF-8.
    """
    try:
        size = file.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise ConfigError(
                [
                    Problem(
                        Location(file),
                        f"the {what} is {size:,} bytes, more than the limit of {max_bytes:,}",
                    )
                ]
            )
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(
            [Problem(Location(file), f"cannot read {what}: {exc.strerror}")]
        ) from None
    return decode_utf8(file, data, what)
