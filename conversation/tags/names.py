"""The rules of a tag's name, and the order of a chat's tag names."""

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError

TAG_NAME_MAX = 50


def tag_name_clean(name: object) -> str:
    """A tag name as stored: NFC, trimmed, runs of spaces made one; ValidationError for one that is
    empty, longer than TAG_NAME_MAX, holds a comma (the separator where names are typed as a list)
    or a line break or other control character."""
    if not isinstance(name, str):
        raise ValidationError({"names": ["A tag name must be a string."]})
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name.strip()):
        raise ValidationError({"names": ["A tag name is one line, without control characters."]})
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise ValidationError({"names": ["A tag name cannot be empty."]})
    if len(cleaned) > TAG_NAME_MAX:
        raise ValidationError({"names": [f"A tag name is at most {TAG_NAME_MAX} characters."]})
    if "," in cleaned:
        raise ValidationError({"names": ["A tag name cannot hold a comma."]})
    return cleaned


def tag_key(name: str) -> str:
    """What makes two names the same tag: their case-folded form."""
    return name.casefold()


def tag_names_clean(names: Iterable[object]) -> list[str]:
    """Each name cleaned, the same name (in any case) kept once, as first given."""
    seen: dict[str, str] = {}
    for name in names:
        cleaned = tag_name_clean(name)
        seen.setdefault(tag_key(cleaned), cleaned)
    return list(seen.values())


def tag_names_sorted(names: Iterable[str]) -> list[str]:
    """A chat's tag names as Session.tag_names holds them: case-insensitively sorted (ties by the
    exact name, so that the order is total)."""
    return sorted(names, key=lambda name: (tag_key(name), name))
