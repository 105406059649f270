"""Reading the files people bring (docs/imports.md): JSON or zip, the format sniffed, each
conversation one at a time from a stream (imports.parsers turns each into a SourceConversation), so
that memory holds one conversation whatever the file's size.

Nothing here writes; imports.writer stores what this reads.
"""

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
from django.conf import settings

from imports import guard
from imports.parsers import PARSERS, ours_conversation, ours_folders
from imports.source import ConversationProblem, SourceConversation, SourceFolder, as_id, as_text

FORMATS = {
    "chatgpt": "ChatGPT",
    "claude": "Claude",
    "openwebui": "Open WebUI",
    "librechat": "LibreChat",
    "ours": "This product's export",
}
# ChatGPT's export zip: conversations.json, or since 2025 conversations-000.json, -001, ...
CHATGPT_MEMBER = re.compile(r"(?:^|/)conversations(?:-(\d+))?\.json$")


class ImportFileError(Exception):
    """The file as a whole cannot be read: what to tell the person who brought it."""


@dataclass
class Reader:
    format: str
    conversations: Iterator[SourceConversation]
    total: int | None  # when the file says how many it holds
    position: Callable[[], int]  # bytes of the upload read so far
    folders: list[SourceFolder] = field(default_factory=list)  # our own export's tree, parents first


# What reading a file's JSON raises: not JSON, not UTF-8, or past a bound of imports.guard.
JSON_ERRORS = (ijson.JSONError, UnicodeDecodeError, guard.InputBoundError)


def _bounded(stream: IO[bytes], *, max_depth: int | None = None) -> guard.BoundedStream:
    """`stream` as the JSON parser reads it: refused past IMPORT_MAX_DEPTH (or `max_depth`) and
    IMPORT_MAX_STRING_BYTES, as it is read."""
    return guard.BoundedStream(
        stream,
        max_depth=max_depth or settings.IMPORT_MAX_DEPTH,
        max_string_bytes=settings.IMPORT_MAX_STRING_BYTES,
    )


def _items(stream: IO[bytes], source: str, prefix: str) -> Iterator:
    """Each conversation of a JSON array (or the one object) read from `stream`, parsed; one that
    cannot be parsed is yielded as a SourceConversation with its problem, the rest go on."""
    try:
        if source == "librechat":  # its tree nests deep, which ijson.items' paths cannot afford
            items = _items_deep(_bounded(stream, max_depth=settings.IMPORT_MAX_TREE_DEPTH), prefix)
        else:
            items = ijson.items(_bounded(stream), prefix, use_float=True)
        for item in items:
            yield _parsed(item, source, PARSERS[source])
    except JSON_ERRORS as exc:
        raise ImportFileError(_json_error(exc)) from exc


def _items_deep(stream: guard.BoundedStream, prefix: str) -> Iterator:
    """What ijson.items(stream, prefix) yields for prefix "" or "item", built from the parser's
    events without the path of each (ijson's grow with the depth, so their cost with its square)."""
    events = ijson.basic_parse(stream, use_float=True)
    depth = 0 if prefix == "item" else 1  # of the values to yield: 1, inside the array, or the top
    builder = None
    for event, value in events:
        if depth == 0:
            if event != "start_array":
                return
            depth = 1
            continue
        if depth == 1:
            if event == "end_array" and prefix == "item":
                return
            builder = ijson.ObjectBuilder()
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 1:
            yield builder.value
            if prefix == "":
                return


def _parsed(item: Any, source: str, parse: Callable[[Any], SourceConversation]) -> SourceConversation:
    try:
        return parse(item)
    except ConversationProblem as exc:
        ident = item.get("id") or item.get("uuid") or item.get("conversationId") if isinstance(item, dict) else ""
        title = (item.get("title") or item.get("name") or "") if isinstance(item, dict) else ""
        return SourceConversation(
            source=source,
            id=as_id(ident),
            title=as_text(title),
            created_at=None,
            updated_at=None,
            nodes=[],
            current_id=None,
            problem=str(exc),
        )


def _json_error(exc: Exception) -> str:
    if isinstance(exc, guard.InputBoundError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"The file is not UTF-8 text (byte {exc.object[exc.start : exc.start + 1]!r} is not): export it again."
    if "premature EOF" in str(exc) or "Incomplete JSON" in type(exc).__name__:
        return "The file ends before its JSON does: it was cut short (download it again)."
    said = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else "nothing more"
    return f"The file is not valid JSON, so it is not an export this product reads (the parser said: {said})."


def _sniff(stream: IO[bytes]) -> tuple[str, str]:
    """(format, the ijson prefix of its conversations) from the keys of the first conversation:
    read as a stream, never more than the start of the file, and without ijson's paths (a
    LibreChat tree nests deep)."""
    top_keys: set[str] = set()
    item_keys: set[str] = set()
    is_array = None
    depth = 0
    try:
        events = ijson.basic_parse(_bounded(stream, max_depth=settings.IMPORT_MAX_TREE_DEPTH))
        for count, (event, value) in enumerate(events):
            if is_array is None:
                if event not in ("start_array", "start_map"):
                    break
                is_array, depth = event == "start_array", 1
                continue
            if event == "map_key" and depth == (2 if is_array else 1):
                (item_keys if is_array else top_keys).add(value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
                if (is_array and depth == 1 and event == "end_map") or depth == 0:
                    break  # the first conversation read, or the file's end
            if count > 200_000:
                break
    except JSON_ERRORS as exc:
        if not (item_keys or top_keys):
            raise ImportFileError(_json_error(exc)) from exc
    keys = item_keys or top_keys
    prefix = "item" if is_array else ""
    if is_array and not item_keys:
        return "", prefix  # an empty array: nothing to import, whatever it was
    if "mapping" in keys:
        return "chatgpt", prefix
    if "chat_messages" in keys:
        return "claude", prefix
    if "chat" in keys:
        return "openwebui", prefix
    if "conversationId" in keys or "messagesTree" in keys:
        return "librechat", prefix
    if "session" in keys and "messages" in keys:
        return "ours", prefix
    raise ImportFileError(
        "This file holds no conversations this product can read: it is not a ChatGPT, Claude, Open WebUI "
        "or LibreChat export, nor one of ours."
    )


def conversations_open(stream: IO[bytes], *, format_hint: str = "") -> Reader:
    """The conversations of an uploaded file (JSON or zip, opened binary and seekable), with the
    format found; ImportFileError when it is neither, or holds nothing this product reads. A
    `format_hint` names the format expected: a file of another is refused, not misread."""
    start = stream.read(4)
    stream.seek(0)
    if not start.strip():
        raise ImportFileError("The file is empty.")
    if start.startswith(b"PK"):
        reader = _zip_open(stream)
    else:
        found, prefix = _sniff(stream)
        stream.seek(0)
        found = found or format_hint or "chatgpt"
        reader = Reader(format=found, conversations=_items(stream, found, prefix), total=None, position=stream.tell)
    if format_hint and reader.format != format_hint:
        raise ImportFileError(
            f"This file is {FORMATS[reader.format]}'s format, not {FORMATS[format_hint]}'s: "
            "choose that format, or let it be detected."
        )
    return reader


def _zip_open(stream: IO[bytes]) -> Reader:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError("The zip file cannot be read: it is damaged or cut short (download it again).") from exc
    names = {info.filename: info for info in archive.infolist()}
    too_big = [n for n, info in names.items() if info.file_size > settings.IMPORT_MAX_MEMBER_BYTES]
    if too_big:
        raise ImportFileError(f"{too_big[0]} unpacks to more than {settings.IMPORT_MAX_MEMBER_BYTES} bytes.")
    # A member is never read past the size it declares (zipfile stops there), and each is read once:
    # what unpacking costs is bounded by the sum.
    if sum(info.file_size for info in names.values()) > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise ImportFileError(f"The zip unpacks to more than {settings.IMPORT_MAX_UNPACKED_BYTES:,} bytes in all.")
    if "manifest.json" in names:
        return _ours_zip(archive, stream)
    members = sorted(
        (int(m.group(1) or -1), name) for name in names if (m := CHATGPT_MEMBER.search(name)) and "__MACOSX" not in name
    )
    if not members:
        raise ImportFileError(
            "This zip holds no conversations.json (nor conversations-NNN.json): is it a ChatGPT or Claude export?"
        )
    try:
        with archive.open(members[0][1]) as first:
            found, _ = _sniff(first)
    except ZIP_ERRORS as exc:
        raise ImportFileError(_zip_error(exc)) from exc
    found = found or "chatgpt"
    if found not in ("chatgpt", "claude"):
        raise ImportFileError(f"The zip's {members[0][1]} is not a ChatGPT or Claude export.")

    def conversations() -> Iterator[SourceConversation]:
        for _, name in members:
            with archive.open(name) as member:
                yield from _items(member, found, "item")

    return Reader(format=found, conversations=_guarded(conversations()), total=None, position=stream.tell)


# What reading a zip member raises when the zip is damaged, cut short, encrypted (RuntimeError) or
# compressed in a way Python cannot unpack (NotImplementedError).
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _zip_error(exc: Exception) -> str:
    if isinstance(exc, RuntimeError | NotImplementedError):
        return f"The zip file cannot be unpacked ({str(exc)[:200]}): export it again without a password."
    return "The zip file is damaged or cut short (download it again)."


def _guarded(conversations: Iterator[SourceConversation]) -> Iterator[SourceConversation]:
    """A zip member that breaks off (damaged, cut short, encrypted) is a file error, not a crash."""
    try:
        yield from conversations
    except ZIP_ERRORS as exc:
        raise ImportFileError(_zip_error(exc)) from exc


def _ours_zip(archive: zipfile.ZipFile, stream: IO[bytes]) -> Reader:
    with archive.open("manifest.json") as manifest:
        try:
            head = {
                prefix: value for prefix, _, value in ijson.parse(_bounded(manifest)) if prefix in ("format", "version")
            }
        except JSON_ERRORS as exc:
            raise ImportFileError("The export's manifest.json is not valid JSON.") from exc
    if head.get("format") != "chat-account-export":
        raise ImportFileError("This zip's manifest.json is not this product's account export.")
    total = sum(1 for name in archive.namelist() if name.startswith("sessions/") and name.endswith(".json"))

    def conversations() -> Iterator[SourceConversation]:
        read: set[str] = set()
        with archive.open("manifest.json") as manifest:
            try:
                for entry in ijson.items(_bounded(manifest), "sessions.item", use_float=True):
                    name = entry.get("json") if isinstance(entry, dict) else None
                    if not isinstance(name, str) or name not in archive.NameToInfo:
                        raise ImportFileError(f"The export's manifest names {str(name)[:100]}, which it lacks.")
                    if name in read:
                        raise ImportFileError(f"The export's manifest names {name[:100]} twice.")
                    read.add(name)
                    with archive.open(name) as member:
                        for item in ijson.items(_bounded(member), "", use_float=True):
                            yield _parsed(item, "ours", lambda item, entry=entry: ours_conversation(item, entry))
            except JSON_ERRORS as exc:
                raise ImportFileError(_json_error(exc)) from exc

    return Reader(
        format="ours",
        conversations=_guarded(conversations()),
        total=total,
        position=stream.tell,
        folders=_ours_folders(archive),
    )


def _ours_folders(archive: zipfile.ZipFile) -> list[SourceFolder]:
    """folders.json's tree (none in an export from before folders), at most MAX_FOLDERS of it: no
    account holds more."""
    if "folders.json" not in archive.NameToInfo:
        return []
    try:
        with archive.open("folders.json") as member:
            items = ijson.items(_bounded(member), "folders.item", use_float=True)
            return ours_folders(item for _, item in zip(range(settings.MAX_FOLDERS), items, strict=False))
    except JSON_ERRORS as exc:
        raise ImportFileError("The export's folders.json is not valid JSON.") from exc
    except ZIP_ERRORS as exc:
        raise ImportFileError(_zip_error(exc)) from exc
