"""Transparency: the factsheet (Algoritmeregister fields) in Dutch and English, on its own and in every report,
and the report's and the scan summary's language."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FLIGHT, ROOT, photos, run_scan
from dronecheck.cli import app
from dronecheck.models import card
from dronecheck.report.i18n import CATALOG

ROADS_CARD = card.read(ROOT / "weights" / "roads-yolo11n.pt")
MARKUP_ORG = "Gemeente <script>alert(1)</script> & Co"
MARKUP_CONTACT = "<img src=x onerror=alert(2)>@example.nl"
KEYS = ["standard", "lang", "name", "organisation", "description", "status", "contact", "purpose", "legal_basis",
        "human_oversight", "risks", "dpia", "privacy", "data", "licence", "model", "performance", "generated"]


def config(tmp_path: Path, **extra: str) -> Path:
    values = {"organisation": "Gemeente Noorderhaaks", "contact": "algoritmes@noorderhaaks.nl",
              "legal_basis": "Wegenwet, art. 15", **extra}
    path = tmp_path / "dronecheck.toml"
    path.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return path


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def held_out_map50() -> str:
    """The roads card's held-out test block mAP50 (class all), as the factsheet prints it."""
    row = next(s for s in ROADS_CARD["scores"] if "held out" in s["set"] and s["class"] == "all")
    return f"{row['map50']:.3f}"


def test_both_languages_have_the_same_keys() -> None:
    assert set(CATALOG["nl"]) - {k for k in CATALOG["nl"] if k.startswith("profile.")} == set(CATALOG["en"])


@pytest.mark.parametrize("lang,labels", [
    ("nl", ["# Algoritmebeschrijving", "**Organisatie**", "## Menselijke tussenkomst", "## Wettelijke basis",
            "## Impacttoetsen (DPIA)", "## Gebruikte data en licenties", "## Prestaties", "achtergehouden"]),
    ("en", ["# Factsheet", "**Organisation**", "## Human intervention", "## Legal basis",
            "## Impact assessments (DPIA)", "## Data sources and licences", "## Performance", "held out"]),
])
def test_factsheet_markdown_of_a_built_in_profile(tmp_path: Path, lang: str, labels: list[str]) -> None:
    code, text = invoke("factsheet", "--profile", "roads", "--lang", lang, "--config", str(config(tmp_path)))
    assert code == 0, text
    for label in labels:
        assert label in text, label
    assert held_out_map50() in text  # the held-out scores from the card
    assert "AGPL-3.0" in text and "CC BY-SA 4.0" in text  # the model's licence, the data set's (SOURCE.md)
    assert "datasets/roads/SOURCE.md" in text
    assert "Gemeente Noorderhaaks" in text and "algoritmes@noorderhaaks.nl" in text and "Wegenwet, art. 15" in text


def test_factsheet_json_has_stable_keys_and_the_cards_facts(tmp_path: Path) -> None:
    target = tmp_path / "factsheet.json"
    code, said = invoke("factsheet", "-p", "roads", "--format", "json", "--lang", "en", "--to", str(target),
                        "--config", str(config(tmp_path, dpia="DPIA 2026-04, privacy office")))
    assert code == 0 and str(target) in said, said
    facts = json.loads(target.read_text())
    assert list(facts) == KEYS
    assert facts["lang"] == "en" and facts["organisation"] == "Gemeente Noorderhaaks"
    assert facts["contact"] == "algoritmes@noorderhaaks.nl" and facts["dpia"] == "DPIA 2026-04, privacy office"
    assert facts["licence"] == ROADS_CARD["licence"]
    assert facts["data"]["sources"][0]["licences"] == ["CC BY-SA 4.0"]
    held_out = [s for s in facts["performance"] if s["held_out"] and s["class"] == "all"]
    assert f"{held_out[0]['map50']:.3f}" == held_out_map50()
    assert not next(s for s in facts["performance"] if s["set"].startswith("roads val"))["held_out"]
    assert facts["model"]["sha256"] == ROADS_CARD["sha256"] and facts["model"]["classes"][0] == "longitudinal crack"
    assert any("offline" in m for m in facts["privacy"]["measures"])
    privacy_card = card.read(ROOT / "weights" / "privacy-yolo11n.pt")
    people = next(r for r in privacy_card["blur_scores"] if r["set"].startswith("test") and r["class"] == "person")
    assert any(f"{round(100 * people['hidden'])}% ({people['instances']} person)" in m
               for m in facts["privacy"]["measures"])  # what the privacy model hides, from its card

    code, text = invoke("factsheet", "-p", "roads", "--format", "json", "--lang", "nl")
    nl = json.loads(text)
    assert list(nl) == KEYS and nl["status"] == "In gebruik" and nl["organisation"] is None
    assert nl["description"].startswith("Wegschade")  # the built-in profile's description in Dutch


def test_built_in_profiles_default_to_dutch_and_a_users_profile_to_english(tmp_path: Path) -> None:
    code, text = invoke("factsheet", "-p", "ships")
    assert code == 0 and "## Menselijke tussenkomst" in text
    own = tmp_path / "mine.toml"
    own.write_text("\n".join(line for line in (ROOT / "src/dronecheck/profiles/ships.toml").read_text().splitlines()
                             if not line.startswith("lang")).replace('weights = "', f'weights = "{ROOT}/weights/'))
    code, text = invoke("factsheet", "-p", str(own))
    assert code == 0 and "## Human intervention" in text, text
    code, text = invoke("factsheet", "-p", str(own), "--config", str(config(tmp_path, lang="nl")))
    assert "## Menselijke tussenkomst" in text  # the config's lang


@pytest.mark.parametrize("args,message", [
    (["--lang", "de"], "--lang = 'de': expected one of nl, en"),
    (["--format", "pdf"], "--format pdf: expected md or json"),
])
def test_bad_lang_or_format_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["factsheet", *args])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message}"


@pytest.mark.parametrize("key,value,message", [
    ("lang", "fr", "lang = 'fr': expected one of nl, en"),
    ("organisation", "", "organisation must be one line of text"),
    ("contact", "a\nb", "contact must be one line of text"),
])
def test_bad_config_values_are_one_line_and_exit_2(tmp_path: Path, key: str, value: str, message: str) -> None:
    result = CliRunner().invoke(app, ["factsheet", "--config", str(config(tmp_path, **{key: value}))])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_env_lang_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRONECHECK_LANG", "xx")
    code, said = invoke("factsheet")
    assert code == 2 and "--lang = 'xx'" in said


@pytest.mark.slow
def test_report_in_dutch_with_the_factsheet_markup_as_text_and_again_in_english(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    shutil.copy(photos(1)[0], flight)
    cfg = config(tmp_path, organisation=MARKUP_ORG, contact=MARKUP_CONTACT)
    scan = run_scan(flight, tmp_path / "out", "--profile", "roads", "--config", str(cfg))
    assert scan.exit_code == 0 and scan.run_dir is not None, scan.output
    assert "photos scanned" in scan.output  # the summary follows --lang/the config, English without one
    html = (scan.run_dir / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in html  # the built-in profile's language
    for heading in ("Samenvatting", "Model", "Modelkaart", "Kaart", "Bevindingen",
                    "Transparantie: de algoritmebeschrijving"):
        assert f">{heading}</h" in html, heading
    assert 'id="factsheet"' in html and "Menselijke tussenkomst" in html and "Wettelijke basis" in html
    assert held_out_map50() in html and "CC BY-SA 4.0" in html
    for raw in ("<script>alert(1)", "<img src=x"):  # organisation and contact stay text
        assert raw not in html, raw
    assert "Gemeente &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "&lt;img src=x onerror=alert(2)&gt;@example.nl" in html
    assert json.loads((scan.run_dir / "run.json").read_text())["arguments"]["lang"] == "nl"

    code, said = invoke("report", scan.run_dir.name, "--out", str(tmp_path / "out"), "--lang", "en")
    assert code == 0, said
    again = (scan.run_dir / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in again and ">Summary</h2>" in again and ">Transparency: the factsheet</h2>" in again
    assert "Gemeente &lt;script&gt;" in again  # the organisation the scan recorded, kept without --config


@pytest.mark.slow
def test_scan_summary_in_dutch(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    shutil.copy(sorted(FLIGHT.glob("*.JPG"))[1], flight)
    scan = run_scan(flight, tmp_path / "out", "--profile", "cracks", "--lang", "nl")
    assert scan.exit_code == 0, scan.output
    for label in ("foto's gescand", "bestanden overgeslagen", "al eerder gescand", "bevindingen", "rapport",
                  "seconden"):
        assert label in scan.output, label
    assert "photos scanned" not in scan.output
    again = run_scan(flight, tmp_path / "out", "--profile", "cracks", "--lang", "nl")
    assert again.exit_code == 4 and "niets te doen in flight" in again.output


# Fixed strings of the report (template and review.js's texts) that each language must not show in the other.
ENGLISH_ONLY = ["Photos scanned", "Files skipped", "Findings without a ground position", ">Weights<", ">Device<",
                "Thresholds", "Confirm<", "Reject<", ">unconfirmed<", "left to review of", "Save verdicts",
                "Minimum score", "previous page", "next page", "Close (Esc)", "correct class…", "Correct the class",
                ">Photo<", "Plan view (drawing)", "North is up", "nothing blurred", "flat ground at the take-off",
                "keys:", "verdicts are kept in this browser", "photo, then score", "score, high first",
                '"the whole photo (downscaled)"', '"page {page} of {pages}"', '"saved in the ledger', "Flight path"]
DUTCH_ONLY = ["Foto's gescand", "Bestanden overgeslagen", ">Gewichten<", ">Apparaat<", "Bevestigen", "Afwijzen",
              ">onbevestigd<", "nog te beoordelen", "Oordelen opslaan", "Minimale score", "vorige pagina",
              "volgende pagina", "Sluiten (Esc)", "klasse corrigeren", "Het noorden is boven", "toetsen:",
              "oordelen worden in deze browser bewaard", "foto, dan score", "de hele foto (verkleind)",
              "pagina {page} van {pages}", "opgeslagen in het grootboek", "Vliegroute"]


@pytest.mark.slow
def test_report_fixed_strings_are_in_the_reports_language_only(tmp_path: Path) -> None:
    flight = tmp_path / "flight"
    flight.mkdir()
    shutil.copy(photos(1)[0], flight)
    scan = run_scan(flight, tmp_path / "out", "--profile", "roads")
    assert scan.exit_code == 0 and scan.run_dir is not None, scan.output
    nl = (scan.run_dir / "report.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in nl
    for english in ENGLISH_ONLY:
        assert english not in nl, english
    for dutch in ("Bevestigen", "Afwijzen", "nog te beoordelen", "bevestigd", "Vliegroute"):
        assert dutch in nl, dutch
    code, said = invoke("report", scan.run_dir.name, "--out", str(tmp_path / "out"), "--lang", "en")
    assert code == 0, said
    en = (scan.run_dir / "report.html").read_text(encoding="utf-8")
    for dutch in DUTCH_ONLY:
        assert dutch not in en, dutch
    for english in ("Confirm", "Reject", "left to review of", "Flight path"):
        assert english in en, english
