"""The factsheet: an algorithm described along the fields of the Algoritmeregister's publication standard.

Dutch public bodies publish every algorithm they use in the Algoritmeregister. The factsheet
gathers what that asks for from what dronecheck knows: the inspection profile (purpose,
classes, thresholds, blurring), the model card beside the weights (training data, licence,
held-out scores, limits) and the organisation's dronecheck.toml (`organisation`, `contact`,
`legal_basis`, `dpia`). `facts` gives it as a dict with stable keys (what `dronecheck factsheet
--format json` prints), `markdown` as text; the report shows the same facts as a section.
Fixed texts are in the chosen language (report.i18n); texts from the model card stay as the
card has them (English).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dronecheck import __version__
from dronecheck.detect.privacy import WEIGHTS_NAME as PRIVACY_WEIGHTS
from dronecheck.errors import ProfileError
from dronecheck.models import card as cards
from dronecheck.profiles import PROJECT_WEIGHTS, Profile, resolve_weights
from dronecheck.report.i18n import translator

DATASETS = PROJECT_WEIGHTS.parent / "datasets"  # where the cards' `datasets/<name>/SOURCE.md` lie in a checkout
SOURCE_REF = re.compile(r"datasets/([\w.-]+)/SOURCE\.md")
LICENCE = re.compile(r"\b(CC0 1\.0|CC BY(?:-[A-Z]{2})*(?: \d\.\d)?|ODbL(?: \d\.\d)?|AGPL-3\.0|MIT|Apache-2\.0)")
HELD_OUT = re.compile(r"held[ -]out|\btest\b|another source|other domain", re.IGNORECASE)


@dataclass(frozen=True)
class Owner:
    """Who uses the algorithm, from dronecheck.toml: the organisation, its contact, and optionally the legal
    basis and the DPIA (a reference or a short statement)."""

    organisation: str | None = None
    contact: str | None = None
    legal_basis: str | None = None
    dpia: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The values given, as the run record and the ledger keep them."""
        return {k: v for k, v in vars(self).items() if v}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Owner:
        return cls(**{k: str(values[k]) for k in ("organisation", "contact", "legal_basis", "dpia") if values.get(k)})


def dataset_sources(card: dict[str, Any], root: Path = DATASETS) -> list[dict[str, Any]]:
    """The data sets the card names (`datasets/<name>/SOURCE.md`), each with its SOURCE.md's title and the
    licences it names (empty where the file is not in this installation)."""
    names = dict.fromkeys(SOURCE_REF.findall(" ".join(str(card.get(k, "")) for k in ("training_data", "split"))))
    out = []
    for name in names:
        path = root / name / "SOURCE.md"
        try:
            source = path.read_text(encoding="utf-8")
        except OSError:
            source = ""
        title = next((line.lstrip("# ").strip() for line in source.splitlines() if line.startswith("#")), "")
        out.append({"dataset": name, "source": f"datasets/{name}/SOURCE.md", "title": title,
                    "licences": list(dict.fromkeys(LICENCE.findall(source)))})
    return out


def _blur(profile: Profile | None) -> str | None:
    """What the profile blurs (its checked `blur` classes), as words, or None."""
    return ", ".join(profile.blur) if profile is not None and profile.blur else None


def _privacy_model(lang: str) -> str | None:
    """What the privacy model's card measured on held-out drone frames, as a sentence; None without its card."""
    try:
        weights = resolve_weights(PRIVACY_WEIGHTS, None)
    except ProfileError:
        return None
    rows = [r for r in cards.read(weights).get("blur_scores", [])
            if str(r.get("set", "")).startswith("test") and r.get("hidden") is not None]
    if not rows:
        return None
    hidden = ", ".join(f"{round(100 * r['hidden'])}% ({r['instances']} {r['class']})" for r in rows)
    return translator(lang)("fs.privacy_model", name=weights.name, hidden=hidden, conf=rows[0].get("conf"))


def _description(profile: Profile | None, card: dict[str, Any], lang: str) -> str:
    """The profile's description; the built-in profiles' in Dutch where the catalog has it."""
    t = translator(lang)
    if profile is not None and profile.source.startswith("built-in:"):
        key = f"profile.{profile.name}"
        if t(key) != key:
            return t(key)
    return (profile.description if profile is not None else "") or str(card.get("purpose", ""))


def facts(profile: Profile | None, card: dict[str, Any], owner: Owner, lang: str,
          weights: Path | None = None) -> dict[str, Any]:
    """The factsheet as a dict with stable keys (None where a value is not known or not given)."""
    t = translator(lang)
    weights = weights or (profile.weights if profile is not None else None)
    classes = list(profile.classes) if profile is not None else list(card.get("classes", []))
    blur = _blur(profile)
    name = "dronecheck " + " / ".join(x for x in (profile.name if profile else "", card.get("name", "")) if x)
    scores = [{**{k: s.get(k) for k in ("set", "class", "instances", "precision", "recall", "map50",
                                          "map50_95")}, "held_out": bool(HELD_OUT.search(str(s.get("set", ""))))}
              for s in card.get("scores", [])]
    return {
        "standard": "Algoritmeregister publicatiestandaard",
        "lang": lang,
        "name": name,
        "organisation": owner.organisation,
        "description": _description(profile, card, lang),
        "status": t("fs.status_in_use"),
        "contact": owner.contact,
        "purpose": {"profile": profile.description if profile is not None else None,
                    "model": card.get("purpose"), "intended_use": card.get("intended_use")},
        "legal_basis": owner.legal_basis,
        "human_oversight": {"statement": t("fs.oversight"), "model_card": card.get("human_oversight")},
        "risks": {"statement": t("fs.risk"), "limits": card.get("limits") or None},
        "dpia": owner.dpia,
        "privacy": {"measures": [t("fs.privacy_offline"), t("fs.privacy_local"),
                                 t("fs.privacy_purpose", classes=", ".join(classes)),
                                 t("fs.privacy_blur", what=blur) if blur else t("fs.privacy_no_blur"),
                                 *([m] if blur and (m := _privacy_model(lang)) else [])],
                    "blur": blur},
        "data": {"training_data": card.get("training_data"), "split": card.get("split"),
                 "initialised_from": card.get("initialised_from"), "sources": dataset_sources(card)},
        "licence": card.get("licence"),
        "model": {"method": t("fs.method"), "profile": profile.name if profile is not None else None,
                  "weights": weights.name if weights else None, "sha256": card.get("sha256"),
                  "version": card.get("version"), "date": card.get("date"), "classes": classes,
                  "conf": profile.conf if profile is not None else None,
                  "iou": profile.iou if profile is not None else None,
                  "imgsz": profile.imgsz if profile is not None else None,
                  "training": card.get("training") or {}, "card": bool(card)},
        "performance": scores,
        "generated": {"dronecheck": __version__, "date": date.today().isoformat()},
    }


def shown_scores(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """The score rows people read: one per evaluation (class `all`), or every row where a set has no `all`."""
    rows = sheet["performance"]
    sets_with_all = {r["set"] for r in rows if r["class"] == "all"}
    return [r for r in rows if r["class"] == "all" or r["set"] not in sets_with_all]


def _given(value: str | None, key: str, lang: str) -> str:
    return value if value else translator(lang)("fs.not_given", setting=key)


def markdown(sheet: dict[str, Any]) -> str:
    """The factsheet as Markdown, in the sheet's language."""
    lang = sheet["lang"]
    t = translator(lang)
    model, data = sheet["model"], sheet["data"]

    def field(label: str, value: Any) -> list[str]:
        return [f"- **{t(label)}**: {value}"] if value not in (None, "", []) else []

    lines = [f"# {t('fs.title', name=sheet['name'])}", "", t("fs.intro")]
    lines += ["", t("fs.card_language")] if t("fs.card_language") else []
    lines += ["", *field("fs.name", sheet["name"]),
              *field("fs.organisation", _given(sheet["organisation"], "organisation", lang)),
              *field("fs.description", sheet["description"]), *field("fs.status", sheet["status"]),
              *field("fs.contact", _given(sheet["contact"], "contact", lang)),
              "", f"## {t('fs.purpose')}", "", *field("fs.purpose_model", sheet["purpose"]["model"]),
              *field("fs.intended_use", sheet["purpose"]["intended_use"]),
              "", f"## {t('fs.legal_basis')}", "", _given(sheet["legal_basis"], "legal_basis", lang),
              "", f"## {t('fs.human_oversight')}", "", sheet["human_oversight"]["statement"]]
    if sheet["human_oversight"]["model_card"]:
        lines += ["", sheet["human_oversight"]["model_card"]]
    lines += ["", f"## {t('fs.risks')}", "", sheet["risks"]["statement"]]
    lines += ["", *field("fs.limits", sheet["risks"]["limits"])] if sheet["risks"]["limits"] else []
    lines += ["", f"## {t('fs.dpia')}", "", _given(sheet["dpia"], "dpia", lang),
              "", f"## {t('fs.privacy')}", "", *(f"- {m}" for m in sheet["privacy"]["measures"]),
              "", f"## {t('fs.data')}", ""]
    if not model["card"]:
        lines += [t("fs.no_card", weights=model["weights"]), ""]
    lines += [*field("fs.training_data", data["training_data"]), *field("fs.split", data["split"]),
              *field("fs.initialised_from", data["initialised_from"]), *field("fs.licence", sheet["licence"])]
    for s in data["sources"]:
        said = f"{s['title']} ({', '.join(s['licences'])})" if s["licences"] else s["title"]
        lines += [f"- **{t('fs.sources')}**: `{s['source']}`" + (f": {said}" if said else "")]
    lines += ["", f"## {t('fs.model')}", "", model["method"], "",
              *field("fs.weights", f"{model['weights']} (sha256 {model['sha256']})" if model["sha256"]
                     else model["weights"]),
              *field("fs.version", " · ".join(str(x) for x in (model["version"], model["date"]) if x)),
              *field("fs.classes", ", ".join(model["classes"]))]
    if model["conf"] is not None:
        lines += field("fs.thresholds", t("fs.thresholds_value", conf=model["conf"], iou=model["iou"],
                                          imgsz=model["imgsz"]))
    if model["training"]:
        lines += field("fs.training", "; ".join(f"{k}: {v}" for k, v in model["training"].items()))
    lines += ["", f"## {t('fs.performance')}", ""]
    rows = shown_scores(sheet)
    if rows:
        lines += [t("fs.performance_note"), "",
                  f"| {t('fs.evaluated_on')} | {t('fs.held_out')} | {t('fs.class')} | {t('fs.instances')} "
                  f"| {t('fs.precision')} | {t('fs.recall')} | mAP50 | mAP50-95 |", "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['set']} | {t('fs.yes') if r['held_out'] else t('fs.no')} | {r['class']} | {r['instances']} "
                  f"| {r['precision']:.3f} | {r['recall']:.3f} | {r['map50']:.3f} | {r['map50_95']:.3f} |"
                  for r in rows]
    else:
        lines += [t("fs.no_scores")]
    generated = sheet["generated"]
    lines += ["", t("fs.generated", version=generated["dronecheck"], date=generated["date"])]
    return "\n".join(lines) + "\n"
