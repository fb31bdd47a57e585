"""Make the demo flight: ten real road photos with the metadata of a plausible flight.

The photos are the ten UAV-PDD2023 samples in ../shared/data/road-damage-uav-samples
(real top-down drone photos of damaged roads, CC BY 4.0). They carry no metadata, so this
script writes what a DJI Phantom 4 Pro would: EXIF (GPS, time, camera, focal length) and
DJI XMP (altitudes, gimbal and flight angles), for a flight along a straight road in
Flevoland, gimbal straight down, one photo every 2 seconds. The pixels are not re-encoded.

The height (6.5 m above take-off) is chosen so that the ground sampling distance
(6.5 m / 853 px = 7.6 mm per pixel) matches what the photos show: a 3.5 m lane spans
about 480 of their 1280 pixels.

Run from the repository root:  python datasets/sample-flight/make_flight.py
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path

import piexif

HERE = Path(__file__).resolve().parent
START = (52.4988720, 5.4823150)  # lat, lon: a straight provincial road in Flevoland
HEADING_DEG = 35.0
STEP_M = 6.0  # along-track distance between photos (the footprint is 7.3 m long)
START_TIME = datetime(2026, 6, 15, 10, 12, 4)
REL_ALT_M = 6.5
GROUND_ELLIPSOID_M = 42.9  # ground height above the WGS84 ellipsoid here (NAP -4 m + geoid 46.9 m)
CLASSES = {"Longitudinal crack", "Transverse crack", "Oblique crack", "Alligator crack"}
# The dataset's kinds as the `roads` profile's classes (RDD2022: D00, D10, D20, D40, Repair);
# RDD2022 has no oblique crack, so those boxes are left out of the roads check.
RDD_CLASSES = {"Longitudinal crack": 0, "Transverse crack": 1, "Alligator crack": 2, "Pothole": 3, "Repair": 4}

XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="DJI Meta Data"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"
   tiff:Make="DJI" tiff:Model="FC6310"
   drone-dji:AbsoluteAltitude="{abs:+.2f}" drone-dji:RelativeAltitude="{rel:+.2f}"
   drone-dji:GimbalRollDegree="+0.00" drone-dji:GimbalYawDegree="{yaw:+.2f}" drone-dji:GimbalPitchDegree="-90.00"
   drone-dji:FlightRollDegree="+1.20" drone-dji:FlightYawDegree="{yaw:+.2f}" drone-dji:FlightPitchDegree="-2.40"/>
 </rdf:RDF>
</x:xmpmeta>"""


def rational(value: float, denominator: int) -> tuple[int, int]:
    return round(value * denominator), denominator


def dms(degrees: float) -> tuple[tuple[int, int], ...]:
    d = int(abs(degrees))
    m = int((abs(degrees) - d) * 60)
    s = (abs(degrees) - d - m / 60) * 3600
    return (d, 1), (m, 1), rational(s, 10000)


def offset(lat: float, lon: float, dist_m: float, heading_deg: float) -> tuple[float, float]:
    north = dist_m * math.cos(math.radians(heading_deg))
    east = dist_m * math.sin(math.radians(heading_deg))
    return lat + north / 111_250.0, lon + east / (111_250.0 * math.cos(math.radians(lat)))


def exif_bytes(lat: float, lon: float, when: datetime, width: int, height: int) -> bytes:
    stamp = when.strftime("%Y:%m:%d %H:%M:%S")
    return piexif.dump({
        "0th": {piexif.ImageIFD.Make: b"DJI", piexif.ImageIFD.Model: b"FC6310",
                piexif.ImageIFD.Software: b"v01.08.1719", piexif.ImageIFD.DateTime: stamp.encode()},
        "Exif": {piexif.ExifIFD.DateTimeOriginal: stamp.encode(), piexif.ExifIFD.DateTimeDigitized: stamp.encode(),
                 piexif.ExifIFD.FocalLength: (880, 100), piexif.ExifIFD.FocalLengthIn35mmFilm: 24,
                 piexif.ExifIFD.FNumber: (56, 10), piexif.ExifIFD.ExposureTime: (1, 1000),
                 piexif.ExifIFD.PixelXDimension: width, piexif.ExifIFD.PixelYDimension: height},
        "GPS": {piexif.GPSIFD.GPSVersionID: (2, 3, 0, 0),
                piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: dms(lat),
                piexif.GPSIFD.GPSLongitudeRef: b"E", piexif.GPSIFD.GPSLongitude: dms(lon),
                piexif.GPSIFD.GPSAltitudeRef: 0,
                piexif.GPSIFD.GPSAltitude: rational(GROUND_ELLIPSOID_M + REL_ALT_M, 1000),
                piexif.GPSIFD.GPSMapDatum: b"WGS-84"},
    })


def with_xmp(jpeg: bytes, xmp: str) -> bytes:
    """Insert an XMP APP1 segment right after the EXIF APP1 segment, without re-encoding."""
    assert jpeg[:4] == b"\xff\xd8\xff\xe1", "expected SOI followed by the EXIF APP1 segment"
    exif_end = 4 + int.from_bytes(jpeg[4:6], "big")
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + xmp.encode()
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return jpeg[:exif_end] + segment + jpeg[exif_end:]


def voc_boxes(xml_path: Path) -> list[dict]:
    objects = ET.parse(xml_path).getroot().findall("object")
    return [{"class": o.findtext("name"),
             "xyxy": [int(o.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]}
            for o in objects]


def write_check(labels: dict[str, dict], folder: str, class_ids: dict[str, int]) -> None:
    """A YOLO-format view of the demo photos (links, not copies) for `dronecheck eval`, with the
    dataset's boxes of the kinds in `class_ids` as those class ids; other kinds are left out."""
    root = HERE.parent / folder
    for sub in ("images/test", "labels/test"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir(parents=True)
    for name, entry in labels.items():
        (root / "images/test" / name).symlink_to(Path("../../../sample-flight") / name)
        rows = [f"{class_ids[b['class']]} {(x0 + x1) / 2560:.6f} {(y0 + y1) / 1920:.6f} {(x1 - x0) / 1280:.6f} "
                f"{(y1 - y0) / 960:.6f}" for b in entry["boxes"] if b["class"] in class_ids
                for x0, y0, x1, y1 in [b["xyxy"]]]
        (root / "labels/test" / f"{Path(name).stem}.txt").write_text("".join(r + "\n" for r in rows))


def write_checks(labels: dict[str, dict]) -> None:
    """road-check: the four crack kinds as one class `crack` (the cracks model's check); road-check-rdd:
    the RDD2022 kinds as the roads profile's five classes."""
    write_check(labels, "road-check", dict.fromkeys(CLASSES, 0))
    write_check(labels, "road-check-rdd", RDD_CLASSES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=HERE.parents[2] / "shared" / "data")
    samples = parser.parse_args().shared / "road-damage-uav-samples" / "visualizations" / "samples"
    labels = {}
    for i, src in enumerate(sorted(samples.glob("sample_*.jpg"))):
        lat, lon = offset(*START, i * STEP_M, HEADING_DEG)
        when = START_TIME + timedelta(seconds=2 * i)
        name = f"DJI_{when:%Y%m%d%H%M%S}_{i + 1:04d}.JPG"
        tmp = HERE / name
        shutil.copyfile(src, tmp)
        piexif.insert(exif_bytes(lat, lon, when, 1280, 960), str(tmp))
        xmp = XMP.format(abs=GROUND_ELLIPSOID_M + REL_ALT_M, rel=REL_ALT_M, yaw=HEADING_DEG)
        tmp.write_bytes(with_xmp(tmp.read_bytes(), xmp))
        boxes = voc_boxes(samples / "annotations" / f"{src.stem}_annotation.xml")
        labels[name] = {"source": src.name, "boxes": boxes}
    (HERE / "annotations.json").write_text(json.dumps(labels, indent=1) + "\n")
    write_checks(labels)
    print(f"wrote {len(labels)} photos and annotations.json to {HERE}")


if __name__ == "__main__":
    main()
