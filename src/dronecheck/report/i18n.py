"""What dronecheck says to people, in Dutch and in English: one dict per language, the same keys in each.

`translator(lang)` gives the `t(key, **values)` that the report's templates, the factsheet and the CLI's scan
summary use. A key ending in `.html` holds a little markup of our own (`<b>`): its `t` gives Markup, with the
values escaped, so a template shows it as it is; every other text is plain and escaped as usual. A key missing
from a language falls back to English, and a key missing from English shows as the key itself (a test checks
that both languages have the same keys).

Texts that come from elsewhere stay as they are written there: the model card (English), a user's profile,
the organisation's own dronecheck.toml.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from dronecheck.errors import ConfigError

LANGS = ("nl", "en")
DEFAULT_LANG = "en"  # without a lang anywhere; the built-in profiles say lang = "nl"

EN: dict[str, str] = {
    # the CLI's scan summary
    "summary.nothing_to_do": "nothing to do in {flight}: {n} file(s), all scanned before with this profile and model",
    "summary.title": "{flight} · run {run_id}{state}",
    "summary.interrupted": " (interrupted: the next scan goes on from here)",
    "summary.part": " (this worker's part: another one wrote the run's outputs)",
    "summary.resumed": " (resumed)",
    "summary.photos_scanned": "photos scanned",
    "summary.videos_scanned": "videos scanned",
    "summary.video_frames": "{n} ({frames} frames)",
    "summary.mosaics_scanned": "orthomosaics scanned",
    "summary.mosaic_windows": "{n} ({windows} windows)",
    "summary.files_skipped": "files skipped",
    "summary.already_done": "already scanned before",
    "summary.findings_of": "findings: {cls}",
    "summary.findings": "findings",
    "summary.tracks": "tracks",
    "summary.violations": "suspected violations",
    "summary.model": "model",
    "summary.model_on": "{name} on {device}",
    "summary.seconds": "seconds",
    "summary.report": "report",
    "summary.geojson": "GeoJSON",
    "summary.gpkg": "GeoPackage",
    # the report
    "report.title": "dronecheck · {flight} · {run_id}",
    "report.flight": "Flight",
    "report.run": "Run",
    "report.profile": "profile",
    "report.note_suspicion.html": "Every finding below is a <b>suspicion found by a model</b>, not a decision. A "
                                  "person must confirm or reject each one before it is acted on. Verdicts you give "
                                  "here are kept in this browser and can be saved as a file.",
    "report.summary": "Summary",
    "report.photos_scanned": "Photos scanned",
    "report.videos_scanned": "Videos scanned",
    "report.video_frames": "{n} ({frames} frames)",
    "report.files_skipped": "Files skipped",
    "report.files_already_done": "Files already scanned by earlier runs",
    "report.findings_count": "Findings",
    "report.findings_without_position": "Findings without a ground position",
    "report.tracks_count": "Tracks",
    "report.violations_count": "Suspected violations",
    "report.files_ignored": "Files ignored (not photos or videos)",
    "report.ground": "Ground",
    "report.flat_ground": "flat ground at the take-off height (no DEM)",
    "report.model": "Model",
    "report.weights": "Weights",
    "report.classes": "Classes",
    "report.device": "Device",
    "report.thresholds": "Thresholds",
    "report.model_card": "Model card",
    "report.scores": "How well it scores",
    "report.no_card.html": "No model card was found beside these weights (<code>{name}</code>): nothing is known "
                           "here about what it was trained on or how well it scores.",
    "report.problems": "Problems",
    "report.skipped": "Files skipped",
    "report.unplaced": "Findings that could not be placed on the ground",
    "report.violations": "Suspected violations",
    "report.note_violations.html": "A violation below is a <b>suspicion</b> ({status}): a rule of the profile "
                                   "matched what the model found and where the tracks went. It is not a decision. "
                                   "An inspector checks the evidence and confirms or rejects it.",
    "report.plan": "Plan view",
    "report.map": "Map",
    "report.no_plan": "No photo in this run has a GPS position, so there is nothing to draw.",
    "report.tracks": "Tracks",
    "report.findings": "Findings",
    "report.no_findings": "No findings in this run.",
    "report.confirm": "Confirm",
    "report.reject": "Reject",
    "report.unconfirmed": "unconfirmed",
    "report.confirmed": "confirmed",
    "report.rejected": "rejected",
    "report.save_verdicts": "Save verdicts (JSON)",
    "report.filter_class": "Class",
    "report.filter_score": "Minimum score",
    "report.filter_width": "Width",
    "report.filter_verdict": "Verdict",
    "report.all": "all",
    "report.score": "score",
    "report.factsheet": "Transparency: the factsheet",
    "report.dem": "DEM",
    "report.takeoff_unsettled": "take-off height not settled (no finding needed it)",
    "report.privacy": "Privacy",
    "report.blurred_where": "{what}, in every crop and photo view (the photos themselves are untouched)",
    "report.nothing_blurred.html": "nothing blurred (the profile sets no <code>blur</code>)",
    "report.thresholds_value": "confidence ≥ {conf}, NMS IoU {iou}, image size {imgsz},",
    "report.tiles_gsd": "tiles sized per photo to give the model {gsd} cm of ground a pixel",
    "report.tiles_px": "tiles of {size} px",
    "report.overlapping": "overlapping {pct}%",
    "report.plus_whole": ", plus the whole photo",
    "report.whole_frame": "; a frame goes whole where a {m} m object stays 16 px long at {imgsz} px",
    "report.whole_photos": "whole photos",
    "report.card_purpose": "Purpose",
    "report.card_intended_use": "Intended use",
    "report.card_training_data": "Training data",
    "report.card_split": "Split",
    "report.card_initialised_from": "Initialised from",
    "report.card_licence": "Licence",
    "report.card_limits": "Limits",
    "report.card_human_oversight": "Human oversight",
    "report.card_version": "Version",
    "report.card_date": "Date",
    "report.n_findings": "{n} finding(s)",
    "report.metadata_notes": "Metadata notes on {n} photo(s)",
    "report.ignored": "Ignored (not photos or videos): {files}",
    "report.suspected": "suspected — to be confirmed by an inspector",
    "report.no_zones.html": "No zones file was given (<code>--zones</code>), so no rule was checked.",
    "report.no_rule_fired": "No rule fired. Rules checked:",
    "report.rule_in_zones.html": "<code>{kind}</code> in zones of kind <code>{zone_kind}</code>",
    "report.in_zone": "in zone",
    "report.track": "track",
    "report.rule": "rule",
    "report.crop_of": "crop of finding {id}",
    "report.corrected": "corrected",
    "report.map_legend.html": "Grey dashed: the flight path; grey: photo footprints; dots: findings, filled by "
                              "class, ringed by verdict (green confirmed, red rejected, purple corrected); black: "
                              "tracks; amber: suspected violations; blue dashed: zones. The PDOK basemap "
                              "(BRT-Achtergrondkaart, Luchtfoto) loads only when online; add <code>?offline=1</code> "
                              "to the address to draw the plan alone. Click a finding to see its photo.",
    "report.plan_drawing": "Plan view (drawing)",
    "report.zone_title": "zone {name} ({kind})",
    "report.photo_title": "photo {name}",
    "report.plan_legend": "Grey: camera positions in time order. Dots: findings, coloured by class, with their "
                          "ground footprints.",
    "report.plan_tracks": "Black lines: tracks, arrow at their end.",
    "report.plan_violations": "Thick amber: suspected violations.",
    "report.plan_zones": "Blue dashed: zones.",
    "report.plan_north": "North is up.",
    "report.th_track": "track",
    "report.th_class": "class",
    "report.th_start": "start",
    "report.th_end": "end",
    "report.th_seconds": "seconds",
    "report.th_sightings": "sightings",
    "report.th_speed": "mean speed (kn)",
    "report.th_course": "course (° true)",
    "report.tracks_note.html": "Speed over ground and course come from the sightings' ground positions (not pixels), "
                               "fitted over a window of at least 5 sightings spanning about 10 s; the course shown "
                               "is the one mid-track. Per-sighting values are in <code>tracks.geojson</code>.",
    "report.sort": "Sort",
    "report.sort_photo": "photo, then score",
    "report.sort_score_desc": "score, high first",
    "report.sort_score_asc": "score, low first",
    "report.sort_class": "class",
    "report.left_of": "left to review of",
    "report.shown": "shown",
    "report.keys.html": "keys: <kbd>j</kbd>/<kbd>k</kbd> (or arrows) next/previous, <kbd>c</kbd> confirm, "
                        "<kbd>r</kbd> reject, <kbd>x</kbd> correct the class, <kbd>o</kbd> open the photo, "
                        "<kbd>Esc</kbd> close it",
    "report.kept_in_browser": "verdicts are kept in this browser",
    "report.page_prev": "◀ previous page",
    "report.page_next": "next page ▶",
    "report.size": "size",
    "report.crack_long": "crack {m} m long",
    "report.narrower": "narrower than a pixel ({mm} mm)",
    "report.crack_wide": "{mean} mm wide, at most {max} mm",
    "report.width_class": "width class",
    "report.method": "method",
    "report.correct_title": "Correct the class",
    "report.correct_option": "correct class…",
    "report.photo_button": "Photo",
    "report.close": "Close (Esc)",
    "report.comment_placeholder": "comment (saved with the verdict)",
    "report.comment_label": "comment on finding {id}",
    "report.adjust": "Adjust box",
    "report.adjust_title": ("Drag the box's corners on the photo to resize it, or its centre to move it; each drag "
                            "saves the box as a corrected verdict"),
    "report.viewer_comment": "Comment on this finding (the same as on its card, saved with the verdict)",
    # built by review.js at run time: handed to the page as JSON (html.page_texts)
    "js.unconfirmed": "unconfirmed",
    "js.confirmed": "confirmed",
    "js.rejected": "rejected",
    "js.corrected": "corrected",
    "js.corrected_as": "{verdict} as {cls}",
    "js.whole_photo": "the whole photo (downscaled)",
    "js.crop_only": "the crop around the finding (the whole photo was not kept for this run)",
    "js.crop_of": "crop of finding {id}",
    "js.id": "id",
    "js.class": "class",
    "js.score": "score",
    "js.verdict": "verdict",
    "js.photo": "photo",
    "js.camera": "camera",
    "js.time": "time",
    "js.position": "position",
    "js.none": "none",
    "js.uncertainty": "± m",
    "js.size": "size m",
    "js.width_class": "width class",
    "js.method": "method",
    "js.note": "note",
    "js.box": "box px",
    "js.corrected_class": "corrected class",
    "js.comment": "comment",
    "js.by": "by",
    "js.corrected_box": "corrected box px",
    "js.box_not_saved": "box not saved: it must be at least a pixel wide and high",
    "js.move_box_title": "drag to move the whole box (its size kept); it is saved as a corrected verdict",
    "js.page_of": "page {page} of {pages}",
    "js.saved": "saved in the ledger: {id} {verdict} by {by}",
    "js.not_saved": "NOT saved in the ledger ({error}): kept in this browser",
    "js.refused": "refused",
    "js.saved_live": "every verdict is saved in the ledger as you give it",
    "js.zone": "zone {name} ({kind})",
    "js.photo_tip": "photo {name}",
    "js.track_tip": "track {id}",
    "js.layer_path": "Flight path",
    "js.layer_photos": "Photo footprints",
    "js.layer_findings": "Findings",
    "js.layer_tracks": "Tracks",
    "js.layer_zones": "Zones",
    "js.layer_violations": "Violations",
    # the factsheet, along the fields of the Algoritmeregister's publication standard
    "fs.title": "Factsheet: {name}",
    "fs.intro": "This algorithm described along the fields of the Algoritmeregister's publication standard, from "
                "the inspection profile, the model card and the organisation's dronecheck.toml.",
    "fs.card_language": "",
    "fs.name": "Name",
    "fs.organisation": "Organisation",
    "fs.description": "Short description",
    "fs.status": "Status",
    "fs.contact": "Contact",
    "fs.purpose": "Purpose and impact",
    "fs.purpose_model": "What the model looks for",
    "fs.intended_use": "Intended use",
    "fs.legal_basis": "Legal basis",
    "fs.human_oversight": "Human intervention",
    "fs.risks": "Risk management",
    "fs.limits": "Known limits",
    "fs.dpia": "Impact assessments (DPIA)",
    "fs.privacy": "Privacy measures",
    "fs.data": "Data sources and licences",
    "fs.training_data": "Training data",
    "fs.split": "Split",
    "fs.initialised_from": "Starting weights",
    "fs.sources": "Sources",
    "fs.licence": "Licence of the model",
    "fs.model": "Methods and models",
    "fs.method": "A YOLO object detector (Ultralytics) finds boxes in each photo; each box is placed on the ground "
                 "from the camera's GPS position, height and gimbal angles. Tracks, sizes and rule checks are "
                 "worked out from those positions.",
    "fs.weights": "Weights",
    "fs.version": "Version",
    "fs.classes": "Classes",
    "fs.thresholds": "Thresholds",
    "fs.thresholds_value": "confidence ≥ {conf}, NMS IoU {iou}, image size {imgsz} px",
    "fs.training": "Training",
    "fs.performance": "Performance",
    "fs.performance_note": "Scores from the model card; held out: data the model never saw in training.",
    "fs.evaluated_on": "evaluated on",
    "fs.held_out": "held out",
    "fs.yes": "yes",
    "fs.no": "no",
    "fs.class": "class",
    "fs.instances": "instances",
    "fs.precision": "precision",
    "fs.recall": "recall",
    "fs.no_scores": "The model card holds no scores.",
    "fs.no_card": "No model card beside the weights ({weights}): nothing is known here about the training data, "
                  "the licence or the scores.",
    "fs.not_given": "not given (set {setting} in dronecheck.toml)",
    "fs.status_in_use": "In use",
    "fs.oversight": "Every finding is a suspicion, not a decision: a person confirms, rejects or corrects each "
                    "finding and each suspected violation in the report before anything is acted on. Verdicts are "
                    "kept with who gave them and when, and the organisation's own verdicts become training data "
                    "for its next model (scan, report, review, ledger, train --from).",
    "fs.risk": "The model misses damage or vessels (false negatives) and points at things that are not there "
               "(false positives); the scores below say how often, on data it never saw in training. Because a "
               "person reviews every finding, a false positive costs review time, not a wrong decision. A miss is "
               "not caught by the review: dronecheck points inspectors at candidates and does not replace an "
               "inspection where one is required.",
    "fs.privacy_offline": "Runs fully offline on the organisation's own machine: no photo, finding or metadata is "
                          "sent anywhere.",
    "fs.privacy_local": "The photos never leave that machine; the outputs hold crops around the findings and, for "
                        "the review, a reduced copy (at most 2048 pixels) of each photo with findings.",
    "fs.privacy_purpose": "Purpose limitation: the model looks only for its classes ({classes}); it does not "
                          "recognise or identify people.",
    "fs.privacy_blur": "People and vehicles (with their number plates) in the crops and photo copies are blurred "
                       "({what}).",
    "fs.privacy_no_blur": "No blurring: this profile does not blur people or vehicles in the crops and photo copies.",
    "fs.privacy_model": "The blurring uses the privacy model {name}; on held-out drone photos, at confidence {conf}, "
                        "it hid {hidden} (its model card has the details).",
    "fs.generated": "Written by dronecheck {version} on {date}.",
}

NL: dict[str, str] = {
    "summary.nothing_to_do": "niets te doen in {flight}: {n} bestand(en), alle al eerder gescand met dit profiel en "
                             "model",
    "summary.title": "{flight} · run {run_id}{state}",
    "summary.interrupted": " (onderbroken: de volgende scan gaat hier verder)",
    "summary.part": " (het deel van deze worker: een andere schreef de uitvoer van de run)",
    "summary.resumed": " (hervat)",
    "summary.photos_scanned": "foto's gescand",
    "summary.videos_scanned": "video's gescand",
    "summary.video_frames": "{n} ({frames} beelden)",
    "summary.mosaics_scanned": "orthomozaïeken gescand",
    "summary.mosaic_windows": "{n} ({windows} vensters)",
    "summary.files_skipped": "bestanden overgeslagen",
    "summary.already_done": "al eerder gescand",
    "summary.findings_of": "bevindingen: {cls}",
    "summary.findings": "bevindingen",
    "summary.tracks": "sporen",
    "summary.violations": "vermoedelijke overtredingen",
    "summary.model": "model",
    "summary.model_on": "{name} op {device}",
    "summary.seconds": "seconden",
    "summary.report": "rapport",
    "summary.geojson": "GeoJSON",
    "summary.gpkg": "GeoPackage",
    "report.title": "dronecheck · {flight} · {run_id}",
    "report.flight": "Vlucht",
    "report.run": "Run",
    "report.profile": "profiel",
    "report.note_suspicion.html": "Elke bevinding hieronder is een <b>vermoeden van een model</b>, geen besluit. "
                                  "Een mens bevestigt elke bevinding of wijst die af voordat er iets mee gebeurt. "
                                  "Oordelen die u hier geeft, worden in deze browser bewaard en kunnen als bestand "
                                  "worden opgeslagen.",
    "report.summary": "Samenvatting",
    "report.photos_scanned": "Foto's gescand",
    "report.videos_scanned": "Video's gescand",
    "report.video_frames": "{n} ({frames} beelden)",
    "report.files_skipped": "Bestanden overgeslagen",
    "report.files_already_done": "Bestanden al gescand door eerdere runs",
    "report.findings_count": "Bevindingen",
    "report.findings_without_position": "Bevindingen zonder positie op de grond",
    "report.tracks_count": "Sporen",
    "report.violations_count": "Vermoedelijke overtredingen",
    "report.files_ignored": "Genegeerde bestanden (geen foto's of video's)",
    "report.ground": "Grond",
    "report.flat_ground": "vlakke grond op de hoogte van de start (geen hoogtemodel)",
    "report.model": "Model",
    "report.weights": "Gewichten",
    "report.classes": "Klassen",
    "report.device": "Apparaat",
    "report.thresholds": "Drempels",
    "report.model_card": "Modelkaart",
    "report.scores": "Hoe goed het scoort",
    "report.no_card.html": "Naast deze gewichten (<code>{name}</code>) staat geen modelkaart: hier is niets "
                           "bekend over waarop het model getraind is of hoe goed het scoort.",
    "report.problems": "Problemen",
    "report.skipped": "Overgeslagen bestanden",
    "report.unplaced": "Bevindingen die niet op de grond geplaatst konden worden",
    "report.violations": "Vermoedelijke overtredingen",
    "report.note_violations.html": "Een overtreding hieronder is een <b>vermoeden</b> ({status}): een regel van het "
                                   "profiel past bij wat het model vond en waar de sporen liepen. Het is geen "
                                   "besluit. Een inspecteur bekijkt het bewijs en bevestigt het of wijst het af.",
    "report.plan": "Overzichtskaart",
    "report.map": "Kaart",
    "report.no_plan": "Geen foto in deze run heeft een GPS-positie; er valt niets te tekenen.",
    "report.tracks": "Sporen",
    "report.findings": "Bevindingen",
    "report.no_findings": "Geen bevindingen in deze run.",
    "report.confirm": "Bevestigen",
    "report.reject": "Afwijzen",
    "report.unconfirmed": "onbevestigd",
    "report.confirmed": "bevestigd",
    "report.rejected": "afgewezen",
    "report.save_verdicts": "Oordelen opslaan (JSON)",
    "report.filter_class": "Klasse",
    "report.filter_score": "Minimale score",
    "report.filter_width": "Breedte",
    "report.filter_verdict": "Oordeel",
    "report.all": "alle",
    "report.score": "score",
    "report.factsheet": "Transparantie: de algoritmebeschrijving",
    "report.dem": "Hoogtemodel",
    "report.takeoff_unsettled": "starthoogte niet vastgesteld (geen bevinding had die nodig)",
    "report.privacy": "Privacy",
    "report.blurred_where": "{what}, in elke uitsnede en fotoweergave (de foto's zelf blijven onaangeroerd)",
    "report.nothing_blurred.html": "niets onherkenbaar gemaakt (het profiel zet geen <code>blur</code>)",
    "report.thresholds_value": "zekerheid ≥ {conf}, NMS IoU {iou}, beeldgrootte {imgsz},",
    "report.tiles_gsd": "tegels per foto zo groot dat het model {gsd} cm grond per pixel krijgt",
    "report.tiles_px": "tegels van {size} px",
    "report.overlapping": "met {pct}% overlap",
    "report.plus_whole": ", plus de hele foto",
    "report.whole_frame": "; een beeld gaat in zijn geheel waar een object van {m} m bij {imgsz} px 16 px lang blijft",
    "report.whole_photos": "hele foto's",
    "report.card_purpose": "Doel",
    "report.card_intended_use": "Beoogd gebruik",
    "report.card_training_data": "Trainingsdata",
    "report.card_split": "Verdeling",
    "report.card_initialised_from": "Startgewichten",
    "report.card_licence": "Licentie",
    "report.card_limits": "Beperkingen",
    "report.card_human_oversight": "Menselijk toezicht",
    "report.card_version": "Versie",
    "report.card_date": "Datum",
    "report.n_findings": "{n} bevinding(en)",
    "report.metadata_notes": "Opmerkingen over de metadata van {n} foto('s)",
    "report.ignored": "Genegeerd (geen foto's of video's): {files}",
    "report.suspected": "vermoeden — een inspecteur moet het bevestigen",
    "report.no_zones.html": "Er is geen zonebestand opgegeven (<code>--zones</code>), dus er is geen regel "
                            "gecontroleerd.",
    "report.no_rule_fired": "Geen regel is overtreden. Gecontroleerde regels:",
    "report.rule_in_zones.html": "<code>{kind}</code> in zones van het soort <code>{zone_kind}</code>",
    "report.in_zone": "in zone",
    "report.track": "spoor",
    "report.rule": "regel",
    "report.crop_of": "uitsnede van bevinding {id}",
    "report.corrected": "gecorrigeerd",
    "report.map_legend.html": "Grijs gestreept: de vliegroute; grijs: de dekking van de foto's; stippen: "
                              "bevindingen, gevuld naar klasse, omrand naar oordeel (groen bevestigd, rood "
                              "afgewezen, paars gecorrigeerd); zwart: sporen; oranje: vermoedelijke overtredingen; "
                              "blauw gestreept: zones. De PDOK-achtergrondkaart (BRT-Achtergrondkaart, Luchtfoto) "
                              "laadt alleen met internet; zet <code>?offline=1</code> achter het adres om alleen de "
                              "overzichtskaart te tekenen. Klik op een bevinding om de foto te zien.",
    "report.plan_drawing": "Overzichtskaart (tekening)",
    "report.zone_title": "zone {name} ({kind})",
    "report.photo_title": "foto {name}",
    "report.plan_legend": "Grijs: de posities van de camera op volgorde van tijd. Stippen: bevindingen, gekleurd "
                          "naar klasse, met hun dekking op de grond.",
    "report.plan_tracks": "Zwarte lijnen: sporen, met een pijl aan het eind.",
    "report.plan_violations": "Dik oranje: vermoedelijke overtredingen.",
    "report.plan_zones": "Blauw gestreept: zones.",
    "report.plan_north": "Het noorden is boven.",
    "report.th_track": "spoor",
    "report.th_class": "klasse",
    "report.th_start": "begin",
    "report.th_end": "eind",
    "report.th_seconds": "seconden",
    "report.th_sightings": "waarnemingen",
    "report.th_speed": "gemiddelde snelheid (kn)",
    "report.th_course": "koers (° rechtwijzend)",
    "report.tracks_note.html": "Snelheid over de grond en koers komen uit de posities op de grond van de "
                               "waarnemingen (niet uit pixels), bepaald over een venster van ten minste 5 "
                               "waarnemingen over ongeveer 10 s; de getoonde koers is die halverwege het spoor. De "
                               "waarden per waarneming staan in <code>tracks.geojson</code>.",
    "report.sort": "Sorteren",
    "report.sort_photo": "foto, dan score",
    "report.sort_score_desc": "score, hoogste eerst",
    "report.sort_score_asc": "score, laagste eerst",
    "report.sort_class": "klasse",
    "report.left_of": "nog te beoordelen van de",
    "report.shown": "getoonde",
    "report.keys.html": "toetsen: <kbd>j</kbd>/<kbd>k</kbd> (of pijltjes) volgende/vorige, <kbd>c</kbd> bevestigen, "
                        "<kbd>r</kbd> afwijzen, <kbd>x</kbd> klasse corrigeren, <kbd>o</kbd> foto openen, "
                        "<kbd>Esc</kbd> foto sluiten",
    "report.kept_in_browser": "oordelen worden in deze browser bewaard",
    "report.page_prev": "◀ vorige pagina",
    "report.page_next": "volgende pagina ▶",
    "report.size": "afmetingen",
    "report.crack_long": "scheur van {m} m lang",
    "report.narrower": "smaller dan een pixel ({mm} mm)",
    "report.crack_wide": "{mean} mm breed, hoogstens {max} mm",
    "report.width_class": "breedteklasse",
    "report.method": "methode",
    "report.correct_title": "De klasse corrigeren",
    "report.correct_option": "klasse corrigeren…",
    "report.photo_button": "Foto",
    "report.close": "Sluiten (Esc)",
    "report.comment_placeholder": "toelichting (wordt met het oordeel bewaard)",
    "report.comment_label": "toelichting bij bevinding {id}",
    "report.adjust": "Kader aanpassen",
    "report.adjust_title": "Sleep de hoeken van het kader op de foto om het te vergroten of verkleinen, of het midden "
                           "om het te verplaatsen; elke verplaatsing slaat het kader op als gecorrigeerd oordeel",
    "report.viewer_comment": "Toelichting bij deze bevinding (dezelfde als op de kaart, bewaard met het oordeel)",
    "js.unconfirmed": "onbevestigd",
    "js.confirmed": "bevestigd",
    "js.rejected": "afgewezen",
    "js.corrected": "gecorrigeerd",
    "js.corrected_as": "{verdict} als {cls}",
    "js.whole_photo": "de hele foto (verkleind)",
    "js.crop_only": "de uitsnede rond de bevinding (de hele foto is voor deze run niet bewaard)",
    "js.crop_of": "uitsnede van bevinding {id}",
    "js.id": "id",
    "js.class": "klasse",
    "js.score": "score",
    "js.verdict": "oordeel",
    "js.photo": "foto",
    "js.camera": "camera",
    "js.time": "tijd",
    "js.position": "positie",
    "js.none": "geen",
    "js.uncertainty": "± m",
    "js.size": "afmetingen m",
    "js.width_class": "breedteklasse",
    "js.method": "methode",
    "js.note": "opmerking",
    "js.box": "kader px",
    "js.corrected_class": "gecorrigeerde klasse",
    "js.comment": "toelichting",
    "js.by": "door",
    "js.corrected_box": "gecorrigeerd kader px",
    "js.box_not_saved": "kader niet opgeslagen: het moet minstens een pixel breed en hoog zijn",
    "js.move_box_title": "sleep om het hele kader te verplaatsen (even groot); het wordt bewaard als gecorrigeerd "
                         "oordeel",
    "js.page_of": "pagina {page} van {pages}",
    "js.saved": "opgeslagen in het grootboek: {id} {verdict} door {by}",
    "js.not_saved": "NIET opgeslagen in het grootboek ({error}): bewaard in deze browser",
    "js.refused": "geweigerd",
    "js.saved_live": "elk oordeel wordt in het grootboek opgeslagen zodra u het geeft",
    "js.zone": "zone {name} ({kind})",
    "js.photo_tip": "foto {name}",
    "js.track_tip": "spoor {id}",
    "js.layer_path": "Vliegroute",
    "js.layer_photos": "Dekking van de foto's",
    "js.layer_findings": "Bevindingen",
    "js.layer_tracks": "Sporen",
    "js.layer_zones": "Zones",
    "js.layer_violations": "Overtredingen",
    "fs.title": "Algoritmebeschrijving: {name}",
    "fs.intro": "Dit algoritme beschreven langs de velden van de publicatiestandaard van het Algoritmeregister, "
                "uit het inspectieprofiel, de modelkaart en de dronecheck.toml van de organisatie.",
    "fs.card_language": "Teksten uit de modelkaart staan er in het Engels, zoals de modelkaart ze geeft.",
    "fs.name": "Naam",
    "fs.organisation": "Organisatie",
    "fs.description": "Korte omschrijving",
    "fs.status": "Status",
    "fs.contact": "Contactgegevens",
    "fs.purpose": "Doel en impact",
    "fs.purpose_model": "Waar het model naar zoekt",
    "fs.intended_use": "Beoogd gebruik",
    "fs.legal_basis": "Wettelijke basis",
    "fs.human_oversight": "Menselijke tussenkomst",
    "fs.risks": "Risicobeheer",
    "fs.limits": "Bekende beperkingen",
    "fs.dpia": "Impacttoetsen (DPIA)",
    "fs.privacy": "Privacymaatregelen",
    "fs.data": "Gebruikte data en licenties",
    "fs.training_data": "Trainingsdata",
    "fs.split": "Verdeling",
    "fs.initialised_from": "Startgewichten",
    "fs.sources": "Bronnen",
    "fs.licence": "Licentie van het model",
    "fs.model": "Technische werking",
    "fs.method": "Een YOLO-objectdetector (Ultralytics) vindt kaders in elke foto; elk kader wordt op de grond "
                 "geplaatst uit de GPS-positie, de hoogte en de gimbalhoeken van de camera. Sporen, maten en "
                 "regelcontroles worden uit die posities berekend.",
    "fs.weights": "Gewichten",
    "fs.version": "Versie",
    "fs.classes": "Klassen",
    "fs.thresholds": "Drempels",
    "fs.thresholds_value": "zekerheid ≥ {conf}, NMS IoU {iou}, beeldgrootte {imgsz} px",
    "fs.training": "Training",
    "fs.performance": "Prestaties",
    "fs.performance_note": "Scores uit de modelkaart; achtergehouden: data die het model bij de training nooit zag.",
    "fs.evaluated_on": "geëvalueerd op",
    "fs.held_out": "achtergehouden",
    "fs.yes": "ja",
    "fs.no": "nee",
    "fs.class": "klasse",
    "fs.instances": "aantal",
    "fs.precision": "precisie",
    "fs.recall": "recall",
    "fs.no_scores": "De modelkaart bevat geen scores.",
    "fs.no_card": "Naast de gewichten ({weights}) staat geen modelkaart: hier is niets bekend over de trainingsdata, "
                  "de licentie of de scores.",
    "fs.not_given": "niet opgegeven (zet {setting} in dronecheck.toml)",
    "fs.status_in_use": "In gebruik",
    "fs.oversight": "Elke bevinding is een vermoeden, geen besluit: een mens bevestigt, verwerpt of verbetert elke "
                    "bevinding en elke vermoedelijke overtreding in het rapport voordat er iets mee gebeurt. "
                    "Oordelen worden bewaard met wie ze gaf en wanneer, en de eigen oordelen van de organisatie "
                    "worden trainingsdata voor haar volgende model (scan, rapport, beoordeling, grootboek, "
                    "train --from).",
    "fs.risk": "Het model mist schade of vaartuigen (fout-negatieven) en wijst dingen aan die er niet zijn "
               "(fout-positieven); de scores hieronder zeggen hoe vaak, op data die het bij de training nooit zag. "
               "Omdat een mens elke bevinding beoordeelt, kost een fout-positief beoordelingstijd, geen verkeerd "
               "besluit. Een gemiste bevinding vangt de beoordeling niet op: dronecheck wijst inspecteurs op "
               "kandidaten en vervangt geen inspectie waar die verplicht is.",
    "fs.privacy_offline": "Draait volledig offline op een eigen machine van de organisatie: geen foto, bevinding of "
                          "metadata wordt ergens heen gestuurd.",
    "fs.privacy_local": "De foto's verlaten die machine nooit; de uitvoer bevat uitsneden rond de bevindingen en, "
                        "voor de beoordeling, een verkleinde kopie (hoogstens 2048 pixels) van elke foto met "
                        "bevindingen.",
    "fs.privacy_purpose": "Doelbinding: het model zoekt alleen naar zijn klassen ({classes}); het herkent of "
                          "identificeert geen personen.",
    "fs.privacy_blur": "Personen en voertuigen (met hun kentekens) in de uitsneden en fotokopieën worden "
                       "onherkenbaar gemaakt ({what}).",
    "fs.privacy_no_blur": "Geen vervaging: dit profiel maakt personen en voertuigen in de uitsneden en "
                          "fotokopieën niet onherkenbaar.",
    "fs.privacy_model": "Het onherkenbaar maken gebruikt het privacymodel {name}; op niet voor training gebruikte "
                        "dronefoto's maakte het bij betrouwbaarheid {conf} {hidden} onherkenbaar (details in "
                        "de modelkaart).",
    "fs.generated": "Geschreven door dronecheck {version} op {date}.",
}

# The built-in profiles' descriptions in Dutch (a user's profile keeps its own description).
NL.update({
    "profile.cracks": "Scheuren in beton en asfalt (wegen, bruggen, kademuren), van bovenaf gezien.",
    "profile.roads": "Wegschade van bovenaf gezien: langsscheuren, dwarsscheuren, netscheuren, gaten en reparaties "
                     "(de klassen van RDD2022).",
    "profile.ships": "Vaartuigen (boten en schepen) recht van boven gezien, en hun bewegingen, voor haven- en "
                     "vaarwegbeheerders.",
    "profile.fishing": "Vaartuigen voor visserijcontrole: slepen in gesloten gebieden, vissen buiten de toegestane "
                       "uren.",
})

CATALOG: dict[str, dict[str, str]] = {"en": EN, "nl": NL}

Translate = Callable[..., str]


def check_lang(value: object, where: str = "lang") -> str:
    """A language setting: nl or en; ConfigError (one line, exit 2) for anything else.

    >>> check_lang("nl")
    'nl'
    """
    if value not in LANGS:
        raise ConfigError(f"{where} = {value!r}: expected one of {', '.join(LANGS)}")
    return str(value)


def text(key: str, lang: str = DEFAULT_LANG, **values: Any) -> str:
    """The text of `key` in `lang` (English where that language lacks it), with `values` filled in.

    >>> text("summary.findings_of", "nl", cls="crack")
    'bevindingen: crack'
    """
    template = CATALOG.get(lang, EN).get(key, EN.get(key, key))
    if key.endswith(".html"):
        return Markup(template).format(**values)  # our markup kept, the values escaped
    return template.format(**values) if values else template


def translator(lang: str) -> Translate:
    """`t(key, **values)` for one language: what templates and the CLI call."""

    def t(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    return t
