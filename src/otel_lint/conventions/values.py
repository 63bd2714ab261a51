"""Whether a run-time attribute value looks unbounded (a fresh value per request, user or moment).

A metric attribute with such values makes one time series per value: memory in the SDK and cost
in the backend grow without limit. These are pure judgements over one value, with no I/O; the
pytest plugin applies them to the attribute values that metrics actually recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_LONG_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{16,}")
_LONG_DIGITS = re.compile(r"\d{6,}")
# An id-like token: long, no spaces, letters mixed with digits (ULIDs, base64 tokens, hashes).
_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{16,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s?#]+(?P<rest>[^\s]*)")
_PATH_WITH_ID = re.compile(r"/(?:[^/\s]*/)*(?:\d+|[0-9a-fA-F\-]{8,})(?:/|$|\?)")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
_IPV4 = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?")

#: Strings longer than this read as free text rather than a label.
MAX_LABEL_LENGTH = 64
#: Strings with this many words or more read as free text (messages, sentences).
MAX_LABEL_WORDS = 5

# Seconds since the epoch from 2001 to 2286, and the same in milliseconds.
_EPOCH_SECONDS = (1e9, 1e10)
_EPOCH_MILLISECONDS = (1e12, 1e13)
#: Integers at least this large are ids, counters or timestamps rather than categories.
LARGE_INTEGER = 1_000_000


def unbounded_reason(value: object) -> str | None:
    """Why ``value`` looks unbounded, in a few words, or None if it looks like a bounded label."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _number_reason(value)
    if isinstance(value, str):
        return _text_reason(value)
    if isinstance(value, bytes):
        return "raw bytes"
    if isinstance(value, Sequence):
        for item in value:
            reason = unbounded_reason(item)
            if reason is not None:
                return reason
    return None


def looks_unbounded(value: object) -> bool:
    """Whether ``value`` looks like it takes a new value per request, user or moment."""
    return unbounded_reason(value) is not None


def _number_reason(value: float) -> str | None:
    magnitude = abs(value)
    if _EPOCH_SECONDS[0] <= magnitude < _EPOCH_SECONDS[1] and not float(value).is_integer():
        return "an epoch timestamp"
    if _EPOCH_MILLISECONDS[0] <= magnitude < _EPOCH_MILLISECONDS[1]:
        return "an epoch timestamp in milliseconds"
    if isinstance(value, int) and magnitude >= LARGE_INTEGER:
        return "a large integer (an id, a count or a timestamp)"
    if isinstance(value, float) and _EPOCH_SECONDS[0] <= magnitude < _EPOCH_SECONDS[1]:
        return "an epoch timestamp"
    return None


def _text_reason(text: str) -> str | None:
    stripped = text.strip()
    if not stripped:
        return None
    if _UUID.fullmatch(stripped):
        return "a UUID"
    if _EMAIL.fullmatch(stripped):
        return "an email address"
    url = _URL.fullmatch(stripped)
    if url is not None:
        rest = url.group("rest")
        if rest not in ("", "/"):
            return "a URL with a path or query"
        return None
    if _ISO_TIME.fullmatch(stripped) or (_ISO_TIME.match(stripped) and "T" in stripped[:20]):
        return "a date or timestamp"
    if _IPV4.fullmatch(stripped):
        return "an IP address"
    if _LONG_HEX.fullmatch(stripped):
        return "a long hexadecimal id"
    if _LONG_DIGITS.fullmatch(stripped):
        return "a long numeric id"
    if stripped.startswith("/") and (_PATH_WITH_ID.search(stripped) or "?" in stripped):
        return "a path with an id or query in it"
    if _UUID.search(stripped):
        return "text containing a UUID"
    if len(stripped) > MAX_LABEL_LENGTH:
        return f"free text longer than {MAX_LABEL_LENGTH} characters"
    if len(stripped.split()) >= MAX_LABEL_WORDS:
        return "free text (a sentence or message)"
    if _TOKEN.fullmatch(stripped) and _mixes_letters_and_digits(stripped):
        return "an id-like token"
    return None


def _mixes_letters_and_digits(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    letters = sum(c.isalpha() for c in text)
    return digits >= 4 and letters >= 4
