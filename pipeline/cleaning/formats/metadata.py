"""Map the keys of front matter, header lines and HTML metadata onto the `Metadata` columns."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from dateutil import parser as date_parser

from pipeline.cleaning.document import Metadata

# Keys (lowercased, "-"/"_" removed) that feed each column; the first one present wins.
TITLE_KEYS = ("title", "headline", "name")
URL_KEYS = ("url", "link", "canonical", "canonicalurl", "permalink", "sourceurl")
DATE_KEYS = ("date", "published", "publishdate", "pubdate", "datepublished", "created", "publishedat")
AUTHOR_KEYS = ("author", "authors", "by", "byline", "creator")
DESCRIPTION_KEYS = ("description", "summary", "excerpt", "abstract", "subtitle")
TAG_KEYS = ("tags", "keywords", "tag")
CATEGORY_KEYS = ("category", "categories", "section", "topic")
SOURCE_KEYS = ("source", "sitename", "site", "publisher", "from")
URL_LIKE = re.compile(r"^https?://\S+$", re.IGNORECASE)


def _key(name: str) -> str:
    """Fold a key for matching: lowercase, no separators."""
    return re.sub(r"[\s_\-]", "", name).lower()


def as_text(value: Any) -> str | None:
    """A scalar value as clean text, None when empty."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        items = [text for item in value if (text := as_text(item))]
        return ", ".join(items) or None
    text = " ".join(str(value).split())
    return text or None


def as_list(value: Any) -> list[str]:
    """A list-ish value (list, or comma-separated string) as a list of clean strings."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [text for item in items if (text := as_text(item))]


def as_date(value: Any) -> dt.date | None:
    """A date from a date, datetime or date-like string; None when it cannot be read."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    try:
        return date_parser.parse(text, fuzzy=False).date()
    except (ValueError, OverflowError):
        return None


def extra_value(value: Any) -> str:
    """Any front-matter value as a string for the `extra` map (JSON for structures)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


def build_metadata(fields: Mapping[str, Any]) -> Metadata:
    """Map a raw key/value mapping onto `Metadata`; unmapped keys land in `extra`."""
    if not fields:  # most text dumps: every column empty, as the mapping below would leave it
        return Metadata()
    folded: dict[str, tuple[str, Any]] = {}
    for name, value in fields.items():
        folded.setdefault(_key(str(name)), (str(name), value))
    used: set[str] = set()

    def first(keys: tuple[str, ...]) -> Any:
        """The value of the first key present with a non-empty value, marking it used."""
        for key in keys:
            if key in folded and folded[key][1] not in (None, "", [], {}):
                used.add(key)
                return folded[key][1]
        for key in keys:  # an empty value still counts as "seen", so it does not land in extra
            if key in folded:
                used.add(key)
        return None

    metadata = Metadata(
        title=as_text(first(TITLE_KEYS)),
        url=as_text(first(URL_KEYS)),
        published=as_date(first(DATE_KEYS)),
        author=as_text(first(AUTHOR_KEYS)),
        description=as_text(first(DESCRIPTION_KEYS)),
        tags=as_list(first(TAG_KEYS)),
    )
    category = first(CATEGORY_KEYS)
    metadata.category = (
        as_list(category)[0] if isinstance(category, (list, tuple)) and category else as_text(category)
    )
    source = as_text(first(SOURCE_KEYS))
    # "Source: https://…" names the page, not the publication.
    if source and URL_LIKE.match(source):
        metadata.url = metadata.url or source
    else:
        metadata.source_name = source
    metadata.extra = {
        original: extra_value(value)
        for key, (original, value) in folded.items()
        if key not in used and value is not None
    }
    return metadata
