"""Reasons an operator can act on for XML that does not parse: what is wrong and where, in words.

libxml2's messages describe the symptom where the parser gave up ("Double hyphen within comment",
"Premature end of data"), which is often far from the cause. The cause that costs most is a comment
that is never closed: everything after it, real elements included, becomes comment text. It is found
here from the text itself and named with the line where the comment opens and what it hides.
"""

from __future__ import annotations

import re

from lxml import etree

ELEMENT_START = re.compile(r"<[A-Za-z_][\w.:-]*")
SYMPTOMS = {
    "Premature end of data": "the document ends before all its elements are closed (truncated?)",
    "Extra content at the end of the document": "there is content after the root element has ended",
    "Document is empty": "the document holds no element",
    "Start tag expected": "no element where the document should start",
}


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _hidden(text: str, start: int, end: int) -> str:
    names = [match.group(0)[1:] for match in ELEMENT_START.finditer(text, start, end)]
    if not names:
        return "nothing but text"
    shown = ", ".join(dict.fromkeys(names[:5]))
    return f"{len(names)} element(s) ({shown}{', ...' if len(names) > 5 else ''})"


def unclosed_comment(text: str) -> str | None:
    """Why a comment swallowed the document, or None when every comment is closed properly."""
    position = text.find("<!--")
    while position >= 0:
        body_start = position + 4
        close = text.find("-->", body_start)
        next_open = text.find("<!--", body_start)
        opened = _line(text, position)
        if close < 0:
            hidden = _hidden(text, body_start, len(text))
            return (
                f"the comment opened at line {opened} is never closed with '-->', so it hides everything after it: "
                f"{hidden} from line {opened} to the end are not read"
            )
        if 0 <= next_open < close:
            hidden = _hidden(text, body_start, next_open)
            return (
                f"the comment opened at line {opened} is not closed before the next comment at line "
                f"{_line(text, next_open)}, so it hides {hidden} in between (a comment may not contain '--')"
            )
        position = text.find("<!--", close + 3)
    return None


def explain(text: str, error: etree.XMLSyntaxError) -> tuple[str, str]:
    """(reason code, detail) for XML that does not parse."""
    comment = unclosed_comment(text) if "<!--" in text else None
    if comment is not None:
        return "xml.unclosed_comment", comment
    message = str(error.msg or error).strip()
    line, column = error.position if error.position else (0, 0)
    where = f"line {line}, column {column}" if line else "unknown position"
    for symptom, meaning in SYMPTOMS.items():
        if message.startswith(symptom):
            return "xml.malformed", f"{meaning} ({where}: {message})"
    return "xml.malformed", f"{where}: {message}"
