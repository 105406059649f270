"""The bounds of an imported file, enforced on its bytes as the JSON parser reads them: no deeper
nesting than a limit, no string longer than one. ijson cannot do this itself, and what it does past
such bounds costs far more than the bytes (its paths grow with the square of the depth, a long
string with the square of its length), so the check runs before it, in time linear in the bytes.

Only what JSON's grammar needs is tracked: whether the bytes are inside a string, the string's
length so far, and the depth of brackets outside strings. Each read is scanned by whole-buffer
operations, never byte by byte in Python: escapes (a backslash and the byte it escapes, which may
come in the next read) are blanked out first, so that every quote left opens or closes a string;
splitting on quotes then gives the strings and what lies between them. Whether the JSON is valid is
the parser's business."""

import functools
import re
from itertools import accumulate
from typing import IO

ESCAPE = re.compile(rb"\\.", re.DOTALL)
BRACKET = re.compile(rb"[\[\]{}]")
# Once escapes are blanked out: a whole string, and a string longer than a bound.
STRING = re.compile(rb'"[^"]*"')
DEPTH_CHANGE = {b"[": 1, b"{": 1, b"]": -1, b"}": -1}


@functools.cache
def _long_string(limit: int) -> re.Pattern:
    return re.compile(rb'"[^"]{%d}' % (limit + 1))


class InputBoundError(Exception):
    """The file passes a bound: what to tell the person who brought it."""


class BoundedStream:
    """A binary stream read through: `read` answers the underlying bytes unchanged, and raises
    InputBoundError as soon as they nest deeper than `max_depth` or hold a string longer than
    `max_string_bytes` (as written in the file, escapes included)."""

    def __init__(self, stream: IO[bytes], *, max_depth: int, max_string_bytes: int):
        self.stream = stream
        self.max_depth = max_depth
        self.max_string_bytes = max_string_bytes
        self.depth = 0
        self.in_string = False
        self.escape_pending = False  # the last read ended inside a string on an unpaired backslash
        self.string_bytes = 0  # of the string open at the end of the last read

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if data:
            self._scan(data)
        return data

    def _scan(self, data: bytes) -> None:
        plain = ESCAPE.sub(b"__", b"_" + data[1:] if self.escape_pending else data)
        self.escape_pending = False
        if self.in_string:  # the string the last read left open
            closing = plain.find(b'"')
            self._string_grows((len(plain) if closing < 0 else closing) + self.string_bytes)
            if closing < 0:
                self.string_bytes += len(plain)
                self.escape_pending = plain.endswith(b"\\")
                return
            plain, self.in_string = plain[closing + 1 :], False
        if len(plain) > self.max_string_bytes and _long_string(self.max_string_bytes).search(plain):
            self._string_grows(self.max_string_bytes + 1)
        structure = STRING.sub(b"", plain)  # what is left of a string is the one this read leaves open
        opening = structure.find(b'"')
        if opening >= 0:
            self.in_string, self.string_bytes = True, len(structure) - opening - 1
            self.escape_pending = structure.endswith(b"\\")
            self._string_grows(self.string_bytes)
            structure = structure[:opening]
        opened = structure.count(b"[") + structure.count(b"{")
        if self.depth + opened > self.max_depth:  # perhaps deeper than allowed: follow it bracket by bracket
            changes = map(DEPTH_CHANGE.__getitem__, BRACKET.findall(structure))
            if max(accumulate(changes, initial=self.depth)) > self.max_depth:
                raise InputBoundError(
                    f"The file nests more than {self.max_depth} levels deep, deeper than the exports this "
                    "product reads, so it is not read."
                )
        self.depth += opened - structure.count(b"]") - structure.count(b"}")

    def _string_grows(self, length: int) -> None:
        if length > self.max_string_bytes:
            raise InputBoundError(
                f"The file holds a text longer than {self.max_string_bytes} bytes: longer than anything "
                "this product stores, so it is not read."
            )
