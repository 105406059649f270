"""Files built to cost the importer more than their size: for the worker's tests and bench/jobs.py."""

import io
import zipfile

# The file: 120 KB nested 60,000 deep (ijson's memory grows with the square of the depth).
NESTED = b'[{"mapping":' + b"[" * 60_000 + b"]" * 60_000 + b"}]"


def zip_of(name: str, chunks) -> bytes:
    """A zip of one member written from `chunks`, never whole in memory."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for chunk in chunks:
            member.write(chunk)
    return buffer.getvalue()


def many_strings(count: int) -> bytes:
    """A zip of one conversation holding `count` two-letter strings: shallow, every string short (what a
    depth and string-length guard lets through), and some 60 bytes of memory each once parsed."""
    head = b'[{"id": "c1", "title": "big", "mapping": {"a": {"id": "a", "children": ['
    return zip_of("conversations.json", [head, b'"ab",' * (count - 1), b'"ab"]}}}]'])


def blank_array(gib: float) -> bytes:
    """A zip of a JSON array holding nothing but `gib` GiB of spaces: 1 MB a GiB to send, seconds to read."""
    chunk = b" " * (64 * 1024 * 1024)
    return zip_of("conversations.json", [b"[", *(chunk for _ in range(round(gib * 16))), b"]"])


def one_long_string(mb: int) -> bytes:
    """A zip of one conversation whose title is `mb` MB long (ijson's time grows with its square)."""
    head = b'[{"id": "c1", "mapping": {}, "title": "'
    chunk = b"a" * (1024 * 1024)
    return zip_of("conversations.json", [head, *(chunk for _ in range(mb)), b'"}]'])


def bomb(gib: float) -> bytes:
    """A zip that unpacks to `gib` GiB of `[`: nesting without end, 1 MB a GiB to send."""
    chunk = b"[" * (64 * 1024 * 1024)
    return zip_of("conversations.json", [*(chunk for _ in range(round(gib * 16)))])
