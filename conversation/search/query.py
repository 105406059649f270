"""The search box's syntax (docs/search.md), parsed into words and filters, and its translations:
a tsquery for PostgreSQL, an FTS5 MATCH expression for SQLite.

    bread "in the fridge" tag:baking folder:Recipes after:2025-01-01 before:2025-03-31 role:user

Words and quoted phrases must all match (AND); `key:value` (value quoted or not) is a filter for
the keys in FILTER_KEYS; any other `key:value` is plain words. Each word or phrase becomes one
phrase of the engine's own parser (phraseto_tsquery; an FTS5 string), so a query's text is cut into
words exactly as the messages' texts are.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError

MAX_QUERY_CHARS = 200
MAX_TERMS = 16
FILTER_KEYS = ("tag", "folder", "after", "before", "role", "persona")

# PostgreSQL's english configuration drops these (its english.stop, the Snowball list); a term made
# of them alone matches nothing there, and is dropped from SQLite's query likewise.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her
    hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s
    t can will just don should now""".split()  # noqa: SIM905 - the list as PostgreSQL ships it
)

_TOKEN = re.compile(r'(?:(\w+):)?"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
# A word as both engines cut texts: letters and digits; an underscore separates (PostgreSQL's parser
# drops "___", FTS5's unicode61 makes it an empty phrase that matches nothing).
_LETTERS = re.compile(r"[^\W_]+")


@dataclass
class ParsedQuery:
    terms: list[str] = field(default_factory=list)  # words and phrases, each matched as a phrase
    tags: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    after: date | None = None
    before: date | None = None
    role: str | None = None
    persona: str | None = None

    def searchable_terms(self) -> list[str]:
        """The terms that hold a word outside the stop words: the ones that can match anything."""
        return [t for t in self.terms if any(w.lower() not in STOP_WORDS for w in _LETTERS.findall(t))]


def check_query(q: object) -> str:
    """`q` with its spaces folded; ValidationError (on "q") when empty or too long."""
    if not isinstance(q, str) or not q.strip():
        raise ValidationError({"q": "Search needs some words."})
    q = " ".join(q.split())
    if len(q) > MAX_QUERY_CHARS:
        raise ValidationError({"q": f"Search is {len(q)} characters; the limit is {MAX_QUERY_CHARS}."})
    return q


def parse_query(q: object) -> ParsedQuery:
    """The words and filters of `q`; ValidationError (on "q") for an empty or too long query, a bad
    date or too many words."""
    q = check_query(q)
    parsed = ParsedQuery()
    for match in _TOKEN.finditer(q):
        key, quoted, bare = match.groups()
        if bare is not None:
            key, _, value = bare.partition(":") if ":" in bare[1:-1] else (None, "", bare)
            if key is not None and key.lower() not in FILTER_KEYS:
                key, value = None, bare
        else:
            value = quoted
            if key is not None and key.lower() not in FILTER_KEYS:
                parsed.terms.append(key)  # `word:"phrase"`: the word, then the phrase
                key = None
        if key is None:
            if _WORD.search(value):
                parsed.terms.append(value)
            continue
        _set_filter(parsed, key.lower(), value)
    if len(parsed.terms) > MAX_TERMS:
        raise ValidationError({"q": f"Search has {len(parsed.terms)} words or phrases; the limit is {MAX_TERMS}."})
    return parsed


def _set_filter(parsed: ParsedQuery, key: str, value: str) -> None:
    if not value:
        raise ValidationError({"q": f"{key}: needs a value."})
    if key == "tag":
        parsed.tags.append(value)
    elif key == "folder":
        parsed.folders.append(value)
    elif key in ("after", "before"):
        setattr(parsed, key, parse_date(value, name=f"{key}:"))
    else:
        setattr(parsed, key, value)


def parse_date(value: str, *, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            {"q" if name.endswith(":") else name: f"{name} {value!r} is not a date (YYYY-MM-DD)."}
        ) from None


def fts5_expression(terms: list[str]) -> str:
    """The FTS5 MATCH expression: every term a quoted string (FTS5 cuts it into a phrase with the
    table's tokenizer), all of them required. Only searchable terms are given (searchable_terms)."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def searchable_words(q: str) -> list[str]:
    """The words and quoted phrases of a free search (the session search: no filters), those that can
    match (not stop words alone)."""
    terms = [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"?|(\S+)', q)]
    return ParsedQuery(terms=[t for t in terms if _WORD.search(t)]).searchable_terms()
