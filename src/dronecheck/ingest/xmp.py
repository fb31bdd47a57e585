"""DJI XMP: altitudes and gimbal/flight angles that EXIF has no tags for.

DJI writes them as attributes of rdf:Description (or, on some models, as child elements)
in a namespace of dji.com: the prefix differs by model (`drone-dji:` on most, `DJI:` on
the XT S) and so does the format ("+16.508" on some, "1.900000" on others). Fields are
matched by local name in any namespace whose URI contains "dji.com".

Some packets are not well-formed XML (the XT S declares its namespace twice); those are
read by pattern instead, and the caller is told so.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

START, END = b"<x:xmpmeta", b"</x:xmpmeta>"
NAMESPACE = re.compile(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']')
ATTRIBUTE = re.compile(r'(?<![\w.:-])([\w.-]+):(\w+)\s*=\s*"([^"]*)"')
ELEMENT = re.compile(r"<([\w.-]+):(\w+)>([^<]*)</\1:\2>")


def packet(data: bytes) -> bytes | None:
    """The XMP packet (`<x:xmpmeta ...</x:xmpmeta>`) in a file's bytes, or None."""
    start = data.find(START)
    end = data.find(END, start)
    if start < 0 or end < 0:
        return None
    return data[start:end + len(END)]


def _is_dji(qualified: str) -> str | None:
    """The local name of an ElementTree `{uri}name` when the uri is DJI's, else None."""
    uri, _, local = qualified[1:].partition("}")
    return local if qualified.startswith("{") and "dji.com" in uri.lower() else None


def _from_tree(root: ET.Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    for element in root.iter():
        for key, value in element.attrib.items():
            if (name := _is_dji(key)) and value.strip():
                fields.setdefault(name, value.strip())
        text = (element.text or "").strip()
        if (name := _is_dji(element.tag)) and text and len(element) == 0:
            fields.setdefault(name, text)
    return fields


def _from_pattern(text: str) -> dict[str, str]:
    prefixes = {prefix for prefix, uri in NAMESPACE.findall(text) if "dji.com" in uri.lower()}
    fields: dict[str, str] = {}
    for prefix, name, value in ATTRIBUTE.findall(text) + ELEMENT.findall(text):
        if prefix in prefixes and value.strip():
            fields.setdefault(name, value.strip())
    return fields


def dji_fields(data: bytes) -> tuple[dict[str, str], str | None]:
    """All DJI XMP fields of a file's bytes by local name, and a note when the packet is odd.

    >>> dji_fields(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description '
    ...            b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:d="http://www.dji.com" '
    ...            b'd:GimbalYawDegree="-12.5"><d:RtkFlag>0</d:RtkFlag></rdf:Description></x:xmpmeta>')
    ({'GimbalYawDegree': '-12.5', 'RtkFlag': '0'}, None)
    """
    raw = packet(data)
    if raw is None:
        return {}, None
    try:
        return _from_tree(ET.fromstring(raw)), None
    except ET.ParseError as exc:
        fields = _from_pattern(raw.decode("utf-8", "replace"))
        return fields, f"XMP is not well-formed XML ({exc}); DJI fields read by pattern"
