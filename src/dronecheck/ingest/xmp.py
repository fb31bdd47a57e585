"""DJI XMP: altitudes and gimbal/flight angles that EXIF has no tags for.

DJI writes them as attributes (or, rarely, child elements) in a namespace of dji.com. The
prefix differs by model (`drone-dji:` on most, `DJI:` on the XT S) and so does the format:
"+16.508" on some, "1.900000" on others. Some packets are not even well-formed XML (the
XT S declares its namespace twice), so fields are picked out by pattern rather than by an
XML parser: any prefix bound to a dji.com namespace, then its attributes and elements.
"""

from __future__ import annotations

import re

START, END = b"<x:xmpmeta", b"</x:xmpmeta>"
NAMESPACE = re.compile(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']')
ATTRIBUTE = re.compile(r'(?<![\w.:-])([\w.-]+):(\w+)\s*=\s*"([^"]*)"')
ELEMENT = re.compile(r"<([\w.-]+):(\w+)>([^<]*)</\1:\2>")


def packet(data: bytes) -> str | None:
    """The XMP packet of a file's bytes, or None."""
    start = data.find(START)
    end = data.find(END, start)
    if start < 0 or end < 0:
        return None
    return data[start:end + len(END)].decode("utf-8", "replace")


def dji_fields(data: bytes) -> dict[str, str]:
    """All DJI XMP fields of a file's bytes, by local name; {} when there are none.

    >>> dji_fields(b'<x:xmpmeta><rdf:Description xmlns:DJI="http://www.dji.com" xmlns:DJI="http://www.dji.com" '
    ...            b'DJI:GimbalYawDegree="-12.5"><DJI:RtkFlag>0</DJI:RtkFlag></rdf:Description></x:xmpmeta>')
    {'GimbalYawDegree': '-12.5', 'RtkFlag': '0'}
    """
    text = packet(data)
    if text is None:
        return {}
    prefixes = {prefix for prefix, uri in NAMESPACE.findall(text) if "dji.com" in uri.lower()}
    fields = {name: value.strip() for prefix, name, value in ATTRIBUTE.findall(text) if prefix in prefixes}
    fields.update((name, value.strip()) for prefix, name, value in ELEMENT.findall(text)
                  if prefix in prefixes and value.strip())
    return fields
