"""DJI SRT telemetry: every real layout parsed or rejected with a reason, and interpolation in time."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from dronecheck.errors import BadInputError
from dronecheck.ingest.srt import Telemetry, TelemetrySample, read_srt, sample_at

COPIES = Path(__file__).parent / "data" / "srt"  # every sample of the shared set (see its SOURCE.md)
SAMPLES = ("MAVIC3.srt", "air2s.srt", "broken_empty.SRT", "broken_empty2.SRT", "broken_incomplete.SRT",
           "broken_incomplete2.SRT", "m2zoom.SRT", "matrice_300.srt", "mavic_2_style.SRT", "mavic_2pro_new.SRT",
           "mavic_air.SRT", "mavic_air2.srt", "mavic_mini.SRT", "mavic_pro.SRT", "mavic_pro_buggy.SRT",
           "mix_p4rtk_mavic2pro.srt", "old_format.SRT", "p4_rtk.SRT", "p4p_sample.SRT")
SRT_FILES = [COPIES / name for name in SAMPLES]
REJECTED = {  # file: what the reason says
    "broken_empty.SRT": "empty SRT file",
    "broken_empty2.SRT": r"no usable telemetry in 1 cue\(s\): 1 empty",
    "mavic_air.SRT": r"no usable telemetry in 2 cue\(s\): 2 without a GPS position",
}


@pytest.mark.parametrize("path", SRT_FILES, ids=lambda p: p.name)
def test_every_sample_file_is_parsed_or_rejected_with_its_reason(path: Path) -> None:
    if path.name in REJECTED:
        with pytest.raises(BadInputError, match=REJECTED[path.name]) as error:
            read_srt(path)
        assert error.value.path == path and str(error.value).startswith(str(path))
        return
    samples = read_srt(path).samples
    assert samples
    assert all(-90 <= s.lat <= 90 and -180 <= s.lon <= 180 and (s.lat, s.lon) != (0, 0) for s in samples)
    assert all(s.offset_s <= s.end_s for s in samples)
    assert all(a.offset_s <= b.offset_s for a, b in zip(samples, samples[1:], strict=False))
    times = [s.time for s in samples if s.time is not None]
    assert times == sorted(times)


def test_the_copies_are_all_here() -> None:
    assert sorted(p.name for p in COPIES.glob("*.[sS][rR][tT]")) == sorted(SAMPLES)


def first(name: str, index: int = 0) -> TelemetrySample:
    return read_srt(COPIES / name).samples[index]


# Values read by eye from the files.
@pytest.mark.parametrize(("name", "index", "expected"), [
    ("MAVIC3.srt", 0, dict(offset_s=0.0, end_s=0.02, lat=3.41531, lon=-3.3744, rel_alt_m=-2.4, abs_alt_m=0.401,
                           time=datetime(2021, 12, 25, 12, 27, 52, 373000), focal_35mm=24.0, gimbal_pitch_deg=None)),
    ("air2s.srt", 0, dict(lat=41.424724, lon=2.234156, rel_alt_m=None, abs_alt_m=117.0, focal_35mm=24.0,
                          time=datetime(2022, 8, 7, 13, 40, 40, 774808))),
    ("m2zoom.SRT", 0, dict(lat=31.452012, lon=74.398751, abs_alt_m=213.983002, focal_35mm=24.0, end_s=0.016)),
    ("mavic_2pro_new.SRT", 1, dict(offset_s=0.04, end_s=0.12, lat=-35.080155, lon=-60.286702, abs_alt_m=None)),
    ("matrice_300.srt", 0, dict(lat=36.6146, lon=-6.112, rel_alt_m=0.3, time=datetime(2022, 6, 21, 16, 6, 17))),
    ("old_format.SRT", 0, dict(offset_s=1.0, end_s=2.0, lat=-20.2533, lon=149.0251, rel_alt_m=1.9,
                               time=datetime(2017, 8, 5, 14, 11, 51))),
    ("mavic_pro.SRT", 2, dict(offset_s=3.0, lat=-20.2533, lon=149.0251, rel_alt_m=2.0)),
    ("mavic_2_style.SRT", 1, dict(offset_s=1.0, end_s=1.0, lat=-20.2533, lon=149.0251,
                                  time=datetime(2017, 8, 5, 14, 11, 52, 393525))),
    ("mavic_mini.SRT", 0, dict(lat=48.0771, lon=-121.7458, rel_alt_m=200.7, time=None)),
    ("p4p_sample.SRT", 0, dict(lat=47.4692, lon=8.209, rel_alt_m=45.6)),
    ("p4_rtk.SRT", 0, dict(lat=-34.237922, lon=-58.851745, rel_alt_m=85.8, gimbal_pitch_deg=-24.4,
                           gimbal_roll_deg=0.0, gimbal_yaw_deg=110.4)),
    ("mix_p4rtk_mavic2pro.srt", 0, dict(offset_s=904.904, lat=-34.6502, lon=-59.409424, gimbal_yaw_deg=-76.0)),
    ("mix_p4rtk_mavic2pro.srt", 6, dict(offset_s=909.942, lat=-34.65118, lon=-59.409483, abs_alt_m=120.060997,
                                        gimbal_yaw_deg=None, time=datetime(2020, 10, 7, 12, 0, 10, 123182))),
])
def test_values_read_by_eye(name: str, index: int, expected: dict) -> None:
    sample = first(name, index)
    if "time" in expected:
        assert sample.time == expected.pop("time")
    assert {key: getattr(sample, key) for key in expected} == pytest.approx(expected)


def test_raw_keeps_every_field_as_written() -> None:
    assert first("p4_rtk.SRT").raw == {
        "timecode": "00:00:00,000 --> 00:00:01,000", "GPS": "-58.851745,-34.237922,15",
        "HOME": "-58.847509,-34.232707,-57.98m", "F.PRY": "2.7,-7.0,110.1", "G.PRY": "-24.4,0.0,110.4", "F": "5.6",
        "SS": "400", "ISO": "100", "EV": "0", "D": "698.70m", "H": "85.80m", "H.S": "0.00m/s", "V.S": "0.00m/s"}


@pytest.mark.parametrize(("name", "count", "note"), [
    ("mavic_pro_buggy.SRT", 530, "skipped 16 of 546 cues: 16 without a GPS position"),  # GPS(N/A,N/A,3)
    ("broken_incomplete.SRT", 19, "skipped 1 of 20 cues: 1 without a GPS position"),  # the last cue is cut off
    ("broken_incomplete2.SRT", 4, "skipped 2 of 6 cues: 2 without a GPS position"),  # "[latit" mid-file
    ("mavic_2_style.SRT", 468, "no cue times: offsets from the date stamps, counted from the first cue"),
    ("mavic_2pro_new.SRT", 300, "no altitude in the SRT"),
    ("mix_p4rtk_mavic2pro.srt", 12, "gimbal angles in only 6 of 12 samples"),
    ("p4_rtk.SRT", 55, "no date stamps in the SRT: frame times unknown"),
])
def test_partial_damage_and_gaps_are_noted(name: str, count: int, note: str) -> None:
    telemetry = read_srt(COPIES / name)
    assert len(telemetry.samples) == count and note in telemetry.notes


def write(tmp_path: Path, *cues: str, name: str = "clip.SRT") -> Path:
    path = tmp_path / name
    path.write_text("\n\n".join(f"{i}\n{cue}" for i, cue in enumerate(cues, 1)) + "\n", encoding="utf-8")
    return path


MINI4 = ("00:00:00,{ms:03d} --> 00:00:00,033\nFrameCnt: 0 2026-08-21 17:38:52.463\n[iso: 130] [fnum: 2.8] "
         "[focal_len: 24.00] [dzoom_ratio: {zoom}], [latitude: {lat}] [longitude: 73.771846] "
         "[rel_alt: 70.472 abs_alt: 607.273] [gb_yaw: -125.5 gb_pitch: -63.1 gb_roll: 0.0]")


def test_newest_layout_with_gimbal_angles_and_digital_zoom(tmp_path: Path) -> None:
    telemetry = read_srt(write(tmp_path, MINI4.format(ms=0, zoom="10000, delta:0", lat=18.566227),
                               MINI4.format(ms=33, zoom="2.00", lat=18.566228)))
    a, b = telemetry.samples
    assert (a.gimbal_yaw_deg, a.gimbal_pitch_deg, a.gimbal_roll_deg) == (-125.5, -63.1, 0.0)
    assert (a.rel_alt_m, a.abs_alt_m, a.focal_35mm, a.digital_zoom, b.digital_zoom) == (70.472, 607.273, 24.0, 1.0, 2.0)
    assert a.time == datetime(2026, 8, 21, 17, 38, 52, 463000) and telemetry.notes == ()


def test_a_file_whose_every_position_is_zero_is_rejected(tmp_path: Path) -> None:
    cue = "00:00:0{s},000 --> 00:00:0{e},000\nGPS(0.0,0.0,0) BAROMETER:0.0"
    path = write(tmp_path, cue.format(s=0, e=1), cue.format(s=1, e=2))
    with pytest.raises(BadInputError, match=r"in 2 cue\(s\): 2 at position 0,0 \(no satellite fix\)"):
        read_srt(path)


def test_positions_written_in_radians_are_converted(tmp_path: Path) -> None:
    cue = "00:00:0{s},000 --> 00:00:0{e},000\n[latitude : 0.912] [longtitude : 0.0872] [altitude: 10.0]"
    telemetry = read_srt(write(tmp_path, cue.format(s=0, e=1), cue.format(s=1, e=2)))
    assert telemetry.samples[0].lat == pytest.approx(52.2538, abs=1e-4)
    assert telemetry.samples[0].lon == pytest.approx(4.9962, abs=1e-4)
    assert "positions were written in radians (a DJI firmware bug): converted to degrees" in telemetry.notes


def test_cues_out_of_time_order_are_sorted(tmp_path: Path) -> None:
    cue = "00:00:0{s},000 --> 00:00:0{e},000\nGPS(5.{s},52.0,12) BAROMETER:1.0"
    telemetry = read_srt(write(tmp_path, cue.format(s=2, e=3), cue.format(s=1, e=2)))
    assert [s.lon for s in telemetry.samples] == [5.1, 5.2]
    assert "cues out of time order: sorted by cue time" in telemetry.notes


def test_unreadable_and_foreign_files_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read the SRT file"):
        read_srt(tmp_path)
    (tmp_path / "notes.srt").write_text("Hello.\nNot a subtitle file.\n")
    with pytest.raises(BadInputError, match="no subtitle cues: not a DJI SRT file"):
        read_srt(tmp_path / "notes.srt")


def telemetry(*samples: TelemetrySample) -> Telemetry:
    return Telemetry(Path("clip.SRT"), samples)


def test_sample_at_interpolates_between_cues_and_yaw_the_short_way() -> None:
    a = TelemetrySample(1.0, 2.0, 52.0, 5.0, time=datetime(2024, 5, 1, 12, 0, 0), rel_alt_m=40.0, abs_alt_m=None,
                        gimbal_yaw_deg=170.0, gimbal_pitch_deg=-90.0, gimbal_roll_deg=0.0, focal_35mm=24.0)
    b = TelemetrySample(3.0, 4.0, 52.001, 5.002, time=datetime(2024, 5, 1, 12, 0, 2), rel_alt_m=50.0, abs_alt_m=12.0,
                        gimbal_yaw_deg=-170.0, gimbal_pitch_deg=-60.0, gimbal_roll_deg=1.0, focal_35mm=48.0)
    mid = sample_at(telemetry(a, b), 1.5)
    assert (mid.offset_s, mid.lat, mid.lon, mid.rel_alt_m, mid.abs_alt_m) == pytest.approx((1.5, 52.00025, 5.0005,
                                                                                            42.5, None))
    assert (mid.gimbal_yaw_deg, mid.gimbal_pitch_deg, mid.gimbal_roll_deg) == pytest.approx((175.0, -82.5, 0.25))
    assert mid.time == datetime(2024, 5, 1, 12, 0, 0, 500000) and mid.focal_35mm == 24.0  # the nearer cue's
    assert sample_at(telemetry(a, b), 2.5).focal_35mm == 48.0
    assert sample_at(telemetry(a, b), 0.0) == a and sample_at(telemetry(a, b), 9.0) == b
