"""Helpers for cleaning tests: seeds as RawDocuments and parsed documents."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.cleaning.document import ParsedDocument, RawDocument
from pipeline.cleaning.formats import parse_document
from pipeline.cleaning.ingest import make_doc_id
from tests.conftest import SEEDS


def raw_from_bytes(data: bytes, name: str = "doc.txt") -> RawDocument:
    """A RawDocument for inline test bytes."""
    return RawDocument(make_doc_id(name), name, data, hashlib.sha256(data).hexdigest())


def parse_bytes(data: bytes, name: str = "doc.txt") -> ParsedDocument:
    """Parse inline bytes, failing the test if the document is skipped."""
    parsed = parse_document(raw_from_bytes(data, name))
    assert isinstance(parsed, ParsedDocument), parsed
    return parsed


def parse_seed(file_name: str, seeds: Path = SEEDS) -> ParsedDocument:
    """Parse one of the sample documents."""
    return parse_bytes((seeds / file_name).read_bytes(), file_name)


# A page with no article at all, as scrapers meet them by the thousand: navigation, a login box, footer.
ALL_CHROME = """Home | News | Sport | Business | Culture | Contact
Log in
Register
Forgot your password?
Subscribe to our newsletter
Follow us on Facebook
Cookie settings
Privacy Policy | Terms of Use | Contact us
© 2024 Harbour Media Ltd. All rights reserved.
"""
