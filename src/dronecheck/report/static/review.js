// dronecheck report: the map, the photo viewer and the review list. Opened from disk it keeps verdicts in
// localStorage and saves them as a file (`dronecheck review apply FILE`); served by `dronecheck review` it
// also writes every verdict straight into the ledger. Text from the run is only ever set as text, never as HTML.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dc-data").textContent);
  const meta = JSON.parse(document.getElementById("dc-run").textContent);
  // The page's own words in the report's language (html.page_texts); `{name}` filled in from `values`.
  const TEXT = JSON.parse((document.getElementById("dc-text") || {}).textContent || "{}");
  const tr = (k, values) => (TEXT[k] === undefined ? k : TEXT[k]).replace(/\{(\w+)\}/g, (m, n) => values && n in values ? String(values[n]) : m);
  const params = new URLSearchParams(location.search);
  const offline = params.get("offline") === "1" || !navigator.onLine;
  const served = location.protocol === "http:" || location.protocol === "https:";
  const key = "dronecheck-verdicts:" + meta.flight + ":" + meta.run;
  const PAGE = 100;
  const RING = {confirmed: "#1a7f1a", rejected: "#cc0000", corrected: "#7b2cbf"};

  // The ledger's verdicts when the report was written, then this browser's own: the later one of a finding wins.
  const fromLedger = JSON.parse(document.getElementById("dc-verdicts").textContent || "{}");
  const stored = JSON.parse(localStorage.getItem(key) || "{}");
  const verdicts = {};  // id -> {verdict, at, class}: the verdicts file's form (dronecheck/review/verdicts_file.py)
  function merge(source) {  // the later verdict of a finding wins; the ids that took one from `source`
    return Object.keys(source).filter(id => {
      const v = typeof source[id] === "string" ? {verdict: source[id]} : source[id];
      if (verdicts[id] && (v.at || "") < (verdicts[id].at || "")) return false;
      verdicts[id] = v;
      return true;
    });
  }
  [fromLedger, stored].forEach(merge);
  const byId = {};
  data.findings.forEach(f => { byId[f.id] = f; });

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function verdictOf(id) { return (verdicts[id] && verdicts[id].verdict) || "unconfirmed"; }

  // ---- the map ----------------------------------------------------------------------------------------------
  const markers = {};
  let map = null;
  const mapDiv = document.getElementById("map");
  if (mapDiv && window.L) {
    map = L.map(mapDiv, {preferCanvas: false, zoomSnap: 0.25});
    const overlays = {};
    const bounds = L.latLngBounds([]);
    const ll = c => [c[1], c[0]];
    if (!offline) {
      const attribution = "Kaartgegevens &copy; Kadaster (PDOK)";
      const brt = L.tileLayer("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png",
                              {maxZoom: 19, maxNativeZoom: 19, attribution: attribution});
      const photo = L.tileLayer("https://service.pdok.nl/hwh/luchtfotorgb/wmts/v1_0/Actueel_orthoHR/EPSG:3857/{z}/{x}/{y}.jpeg",
                                {maxZoom: 21, maxNativeZoom: 19, attribution: attribution});
      brt.addTo(map);
      L.control.layers({"BRT-Achtergrondkaart": brt, "Luchtfoto": photo}, overlays, {collapsed: true}).addTo(map);
    } else {
      mapDiv.classList.add("offline");
    }
    L.control.scale({metric: true, imperial: false}).addTo(map);
    const North = L.Control.extend({
      options: {position: "topright"},
      onAdd: function () { const d = el("div", null, "north leaflet-control"); d.id = "north";
                           d.appendChild(el("div", "▲")); d.appendChild(el("div", "N")); return d; }
    });
    new North().addTo(map);

    const zones = L.layerGroup(data.zones.map(z => L.polygon(z.rings.map(r => r.map(ll)),
      {color: "#4363d8", weight: 1, dashArray: "6 3", fillOpacity: .06}).bindTooltip(el("span", tr("zone", {name: z.name, kind: z.kind})))));
    const photos = L.geoJSON(data.photos, {style: {color: "#777", weight: .8, fillOpacity: .04},
      onEachFeature: (feat, layer) => layer.bindTooltip(el("span", tr("photo_tip", {name: feat.properties.image})))});
    const path = L.polyline(data.path.map(ll), {color: "#888", weight: 1.5, dashArray: "4 3"});
    const tracks = L.geoJSON(data.tracks, {style: {color: "#111", weight: 2},
      onEachFeature: (feat, layer) => layer.bindTooltip(el("span", tr("track_tip", {id: feat.properties.track_id})))});
    const violations = L.geoJSON(data.violations, {style: {color: "#f5a300", weight: 7, opacity: .75},
      onEachFeature: (feat, layer) => layer.bindTooltip(el("span", feat.id + ": " + feat.properties.kind))});
    const findings = L.layerGroup();
    data.findings.forEach(f => {
      if (!f.point) return;
      const m = L.circleMarker(ll(f.point), {radius: 6, fillColor: data.colours[f.class] || "#333", fillOpacity: .9,
                                             color: "#fff", weight: 1.5, className: "finding"});
      m.bindTooltip(el("span", f.class + " " + f.score.toFixed(2)));
      m.on("click", () => { select(f.id); openViewer(f.id); });
      m.addTo(findings);
      markers[f.id] = m;
      bounds.extend(m.getLatLng());
    });
    [photos, path].forEach(l => { if (l.getBounds && l.getBounds().isValid()) bounds.extend(l.getBounds()); });
    if (bounds.isValid()) map.fitBounds(bounds.pad(0.1)); else map.setView([52.1, 5.3], 8);  // a view before layers
    zones.addTo(map); photos.addTo(map); path.addTo(map); tracks.addTo(map); violations.addTo(map); findings.addTo(map);
    Object.assign(overlays, {[tr("layer_path")]: path, [tr("layer_photos")]: photos, [tr("layer_findings")]: findings, [tr("layer_tracks")]: tracks,
                             [tr("layer_zones")]: zones, [tr("layer_violations")]: violations});
    if (offline) L.control.layers(null, overlays, {collapsed: true}).addTo(map);
  }
  function paintMarker(id) {
    const m = markers[id];
    if (!m) return;
    const v = verdictOf(id), cls = verdicts[id] && verdicts[id].class;
    m.setStyle({color: RING[v] || "#fff", weight: v === "unconfirmed" ? 1.5 : 4,
                fillColor: data.colours[cls || byId[id].class] || data.colours[byId[id].class],
                fillOpacity: v === "rejected" ? .3 : .9});
    if (m._path) m._path.setAttribute("data-verdict", v);
  }

  // ---- the photo viewer -------------------------------------------------------------------------------------
  const viewer = document.getElementById("viewer");
  let photoMap = null, photoLayers = [], viewerId = null, boxLayer = null, corners = [], mover = null, toPx = null;
  let limits = null;  // where the box may go in the viewer's plane: {lat: [lo, hi], lng: [lo, hi]}
  const adjustButton = document.getElementById("viewer-adjust");
  // The comment in the viewer is the finding's comment on its card: one text, typed in either place.
  const viewerNote = document.getElementById("viewer-comment");
  function openViewer(id) {
    const f = byId[id];
    if (!f || !window.L) return;
    viewer.hidden = false;
    if (!photoMap) photoMap = L.map("viewer-map", {crs: L.CRS.Simple, minZoom: -6, maxZoom: 4, zoomSnap: 0.25});
    setAdjusting(false);
    photoLayers.forEach(l => photoMap.removeLayer(l));
    photoLayers = [];
    viewerId = id;
    photoMap.invalidateSize();
    const w = f.size_px ? f.size_px[0] : 1000, h = f.size_px ? f.size_px[1] : 1000;
    const at = (x, y) => [h - y, x];  // photo pixels (y down) in the viewer's plane (y up)
    // and back: the plane is in the original photo's pixels whatever the image shown (a view is at most 2048 px
    // wide, a crop a part of the photo), so a point of it is a box corner in the finding's own pixels as it is
    const clamp = (v, hi) => Math.max(0, f.size_px ? Math.min(hi, v) : v);
    toPx = p => [clamp(p.lng, w), clamp(h - p.lat, h)];
    limits = f.size_px ? {lat: [0, h], lng: [0, w]} : {lat: [-Infinity, h], lng: [0, Infinity]};  // as toPx clamps
    let src = f.view, area = [0, 0, w, h];
    if (!src) { src = f.crop; area = f.crop_px || [0, 0, w, h]; }
    document.getElementById("viewer-source").textContent = f.view ? tr("whole_photo") :
      tr("crop_only");
    const imageBounds = L.latLngBounds(at(area[0], area[3]), at(area[2], area[1]));
    if (src) photoLayers.push(L.imageOverlay(src, imageBounds, {className: "photo"}).addTo(photoMap));
    const b = (verdicts[id] && verdicts[id].box_px) || f.box_px;  // a corrected box is drawn where it was put
    boxLayer = L.rectangle(L.latLngBounds(at(b[0], b[3]), at(b[2], b[1])),
                           {color: RING[verdictOf(id)] || "#ff2828", weight: 2, fill: false, className: "box"});
    photoLayers.push(boxLayer.addTo(photoMap));
    photoMap.fitBounds(imageBounds);
    viewerProps(id);
    if (viewerNote) viewerNote.value = noteOf(id);
    const crop = document.getElementById("viewer-crop");
    crop.replaceChildren();
    if (f.crop) { const img = el("img"); img.alt = tr("crop_of", {id: f.id}); img.src = f.crop; crop.appendChild(img); }
  }
  function viewerProps(id) {
    const f = byId[id], b = f.box_px;
    const table = document.getElementById("viewer-props");
    table.replaceChildren();
    const rows = [[tr("id"), f.id], [tr("class"), f.class], [tr("score"), f.score.toFixed(3)], [tr("verdict"), tr(verdictOf(id))],
                  [tr("photo"), f.image], [tr("camera"), f.camera], [tr("time"), f.time], [tr("position"), f.point ? f.point[1].toFixed(7) + ", " + f.point[0].toFixed(7) : tr("none")],
                  [tr("uncertainty"), f.uncertainty_m], [tr("size"), f.length_m !== null ? f.length_m + " × " + f.width_m : null],
                  [tr("width_class"), f.width_class], [tr("method"), f.method], [tr("note"), f.note],
                  [tr("box"), b.join(", ")], [tr("corrected_class"), verdicts[id] && verdicts[id].class],
                  [tr("corrected_box"), verdicts[id] && verdicts[id].box_px && verdicts[id].box_px.join(", ")],
                  [tr("comment"), verdicts[id] && verdicts[id].comment], [tr("by"), verdicts[id] && verdicts[id].by]];
    rows.forEach(([k, v]) => {
      if (v === null || v === undefined || v === "") return;
      const tr = el("tr"); tr.appendChild(el("th", k)); tr.appendChild(el("td", v)); table.appendChild(tr);
    });
  }
  // Adjusting the box: a draggable marker on two of its corners, and one in its centre that moves the whole box
  // (its size kept, kept inside the photo); each drag that ends saves the box as a corrected verdict (its class
  // kept, or the one corrected before), in the photo's pixels.
  function setAdjusting(on) {
    corners.forEach(m => photoMap.removeLayer(m));
    corners = [];
    if (mover) { photoMap.removeLayer(mover); mover = null; }
    const adjusting = Boolean(on && boxLayer && photoMap && !viewer.hidden);
    if (adjustButton) {
      adjustButton.classList.toggle("on", adjusting);
      adjustButton.setAttribute("aria-pressed", String(adjusting));
    }
    if (!adjusting) return;
    const bb = boxLayer.getBounds();
    [bb.getNorthWest(), bb.getSouthEast()].forEach((p, i) => {
      const m = L.marker(p, {draggable: true, keyboard: false, autoPan: false,
                             icon: L.divIcon({className: "corner " + (i ? "corner-se" : "corner-nw"), iconSize: [14, 14]})});
      m.on("drag", () => {
        boxLayer.setBounds(L.latLngBounds(corners[0].getLatLng(), corners[1].getLatLng()));
        if (mover) mover.setLatLng(boxLayer.getBounds().getCenter());
      });
      m.on("dragend", saveBox);
      corners.push(m.addTo(photoMap));
    });
    // under the corners (a small box on the screen keeps its corners to grab): zoom in to reach it there
    mover = L.marker(bb.getCenter(), {draggable: true, keyboard: false, autoPan: false, zIndexOffset: -1000,
                                      title: tr("move_box_title"),
                                      icon: L.divIcon({className: "box-move", iconSize: [18, 18]})});
    let grab = null, from = null;  // where the drag began: the handle (where it is drawn, as the drag reads it), the corners
    mover.on("dragstart", () => {
      grab = photoMap.layerPointToLatLng(L.DomUtil.getPosition(mover.getElement()));
      from = corners.map(c => c.getLatLng());
    });
    mover.on("drag", () => {
      if (!grab) return;
      const p = mover.getLatLng(), start = L.latLngBounds(from);
      const sw = start.getSouthWest(), ne = start.getNorthEast();
      const within = (d, lo, hi) => Math.max(lo, Math.min(hi, d));
      const dLat = within(p.lat - grab.lat, limits.lat[0] - sw.lat, limits.lat[1] - ne.lat);
      const dLng = within(p.lng - grab.lng, limits.lng[0] - sw.lng, limits.lng[1] - ne.lng);
      corners.forEach((c, i) => c.setLatLng([from[i].lat + dLat, from[i].lng + dLng]));
      boxLayer.setBounds(L.latLngBounds(corners[0].getLatLng(), corners[1].getLatLng()));
      mover.setLatLng(boxLayer.getBounds().getCenter());  // the handle stays on the box where the box stops
    });
    mover.on("dragend", () => { grab = null; saveBox(); });
    mover.addTo(photoMap);
  }
  function saveBox() {
    if (!viewerId || corners.length !== 2) return;
    const a = toPx(corners[0].getLatLng()), c = toPx(corners[1].getLatLng());
    const r = v => Math.round(v * 10) / 10;
    const box = [r(Math.min(a[0], c[0])), r(Math.min(a[1], c[1])), r(Math.max(a[0], c[0])), r(Math.max(a[1], c[1]))];
    if (box[2] - box[0] < 1 || box[3] - box[1] < 1) {
      status.textContent = tr("box_not_saved");
      return;
    }
    give(viewerId, "corrected", null, box);
    boxLayer.setStyle({color: RING.corrected});
    viewerProps(viewerId);
  }
  if (adjustButton) adjustButton.onclick = () => setAdjusting(adjustButton.getAttribute("aria-pressed") !== "true");
  function closeViewer() { setAdjusting(false); viewer.hidden = true; }
  document.getElementById("viewer-close").onclick = closeViewer;

  // ---- the review list --------------------------------------------------------------------------------------
  const container = document.getElementById("findings");
  const items = Array.from(container.querySelectorAll(".card")).map((card, i) => ({
    id: card.dataset.id, el: card, order: i, cls: card.dataset.class, score: parseFloat(card.dataset.score),
    width: card.dataset.width, verdictEl: card.querySelector(".verdict"), note: card.querySelector("textarea.comment")}));
  const itemById = {};
  items.forEach(it => { itemById[it.id] = it; });
  let list = items.slice(), page = 0, current = null, sortKey = "photo";
  const inputs = {cls: document.getElementById("f-class"), score: document.getElementById("f-score"),
                  width: document.getElementById("f-width"), verdict: document.getElementById("f-verdict"),
                  sort: document.getElementById("f-sort")};

  function showCard(it) {
    const v = verdictOf(it.id), c = verdicts[it.id] && verdicts[it.id].class;
    it.verdictEl.textContent = c ? tr("corrected_as", {verdict: tr(v), cls: c}) : tr(v);
    const comment = (verdicts[it.id] && verdicts[it.id].comment) || "";
    if (it.note && document.activeElement !== it.note) it.note.value = comment;
    if (viewerNote && viewerId === it.id && document.activeElement !== viewerNote) viewerNote.value = comment;
    ["confirmed", "rejected", "corrected"].forEach(k => it.el.classList.toggle(k, v === k));
    paintMarker(it.id);
  }
  function matches(it, f) {
    return (!f.cls || it.cls === f.cls) && it.score >= f.min && (!f.width || it.width === f.width) &&
           (!f.verdict || verdictOf(it.id) === f.verdict);
  }
  function refresh(keepCurrent) {
    const f = {cls: inputs.cls.value, min: parseFloat(inputs.score.value), width: inputs.width ? inputs.width.value : "",
               verdict: inputs.verdict.value};
    document.getElementById("f-score-v").textContent = f.min.toFixed(2);
    const next = items.filter(it => matches(it, f));
    list = next;
    if (keepCurrent && current && list.indexOf(current) >= 0) page = Math.floor(list.indexOf(current) / PAGE);
    page = Math.max(0, Math.min(page, Math.ceil(list.length / PAGE) - 1));
    const visible = new Set(list.slice(page * PAGE, page * PAGE + PAGE));
    const shown = new Set(list);
    items.forEach(it => {
      const hide = !visible.has(it);
      if (it.el.hidden !== hide) it.el.hidden = hide;
      const m = markers[it.id];
      if (m && m._path) { const d = shown.has(it) ? "" : "none"; if (m._path.style.display !== d) m._path.style.display = d; }
    });
    let left = 0;
    list.forEach(it => { if (verdictOf(it.id) === "unconfirmed") left++; });
    document.getElementById("left").textContent = left;
    document.getElementById("n-shown").textContent = list.length;
    const pages = Math.max(1, Math.ceil(list.length / PAGE));
    document.getElementById("page-of").textContent = tr("page_of", {page: page + 1, pages: pages});
  }
  function sortBy(k) {
    sortKey = k;
    const cmp = {photo: (a, b) => a.order - b.order, "score-desc": (a, b) => b.score - a.score || a.order - b.order,
                 "score-asc": (a, b) => a.score - b.score || a.order - b.order,
                 "class": (a, b) => a.cls.localeCompare(b.cls) || a.order - b.order}[k];
    items.sort(cmp);
    const frag = document.createDocumentFragment();
    items.forEach(it => frag.appendChild(it.el));
    container.appendChild(frag);
    page = 0;
    refresh(false);
  }
  function select(id, scroll) {
    if (current) current.el.classList.remove("current");
    current = itemById[id] || null;
    if (!current) return;
    if (current.el.hidden) { refresh(true); }
    current.el.classList.add("current");
    if (scroll !== false) current.el.scrollIntoView({block: "nearest"});
  }
  function step(d) {
    if (!list.length) return;
    let i = current ? list.indexOf(current) : -1;
    i = i < 0 ? (d > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, i + d));
    const target = list[i];
    if (Math.floor(i / PAGE) !== page) { page = Math.floor(i / PAGE); current = target; refresh(true); }
    select(target.id);
    if (!viewer.hidden) openViewer(target.id);
  }

  // ---- saving verdicts --------------------------------------------------------------------------------------
  const status = document.getElementById("saved-where");
  function persist() { localStorage.setItem(key, JSON.stringify(verdicts)); }
  function post(id) {
    if (!served || !byId[id]) return;
    const v = verdicts[id];
    fetch("api/verdicts", {method: "POST", headers: {"Content-Type": "application/json"},
                           body: JSON.stringify({finding_id: id, verdict: v})})
      .then(r => r.json().then(body => ({ok: r.ok, body: body})))
      .then(({ok, body}) => {
        if (!ok) throw new Error(body.error || tr("refused"));
        status.textContent = tr("saved", {id: id, verdict: tr(v.verdict), by: body.reviewed_by});
        status.dataset.saved = String(Number(status.dataset.saved || 0) + 1);
      })
      .catch(e => { status.textContent = tr("not_saved", {error: e.message}); });
  }
  // A verdict as the verdicts file has it: a corrected one keeps the class and the box corrected before unless given
  // anew; the comment is the card's (its text, never markup), else the one the verdict had.
  function give(id, verdict, correctedClass, box) {
    const prev = verdicts[id] || {};
    const v = {verdict: verdict, at: new Date().toISOString()};
    if (verdict === "corrected") {
      const cls = correctedClass || prev.class, bx = box || prev.box_px;
      if (cls) v.class = cls;
      if (bx) v.box_px = bx;
    }
    const it = itemById[id];
    const comment = viewerNote && viewerId === id && !viewer.hidden ? viewerNote.value.trim() :
      it && it.note ? it.note.value.trim() : (prev.comment || "");
    if (comment) v.comment = comment;
    verdicts[id] = v;
    persist();
    if (it) { showCard(it); refresh(true); }
    if (viewerId === id && !viewer.hidden) {  // the viewer shows the verdict just given
      if (boxLayer) boxLayer.setStyle({color: RING[verdict] || "#ff2828"});
      viewerProps(id);
    }
    post(id);
  }
  // the comment as typed (the card's, which the viewer's mirrors), else the verdict's
  function noteOf(id) {
    const it = itemById[id];
    return it && it.note ? it.note.value : (verdicts[id] && verdicts[id].comment) || "";
  }
  // a comment changed after the verdict: the verdict is given again with it (typed before, it goes with the verdict)
  function commentChanged(id, value) {
    const v = verdicts[id];
    if (v && v.verdict && v.verdict !== "unconfirmed" && (v.comment || "") !== value.trim()) give(id, v.verdict);
  }

  items.forEach(it => {
    showCard(it);
    it.el.querySelector(".confirm").onclick = () => { select(it.id, false); give(it.id, "confirmed"); };
    it.el.querySelector(".reject").onclick = () => { select(it.id, false); give(it.id, "rejected"); };
    const correct = it.el.querySelector(".correct");
    correct.onchange = () => { if (correct.value) give(it.id, "corrected", correct.value); correct.blur(); };
    it.el.querySelector(".open").onclick = () => { select(it.id, false); openViewer(it.id); };
    if (it.note) {  // typed before the verdict, it goes with it; changed after, the verdict is given again with it
      it.note.addEventListener("focus", () => select(it.id, false));
      it.note.addEventListener("input", () => { if (viewerNote && viewerId === it.id) viewerNote.value = it.note.value; });
      it.note.addEventListener("change", () => commentChanged(it.id, it.note.value));
    }
  });
  if (viewerNote) {  // the same comment typed in the viewer: the card shows it as it is typed
    let typingFor = null;  // the finding typed for, should the viewer turn to another before the change comes
    viewerNote.addEventListener("focus", () => { typingFor = viewerId; });
    viewerNote.addEventListener("input", () => {
      typingFor = typingFor || viewerId;
      const it = itemById[typingFor];
      if (it && it.note) it.note.value = viewerNote.value;
    });
    viewerNote.addEventListener("change", () => { const id = typingFor || viewerId; if (id) commentChanged(id, viewerNote.value); });
    viewerNote.addEventListener("blur", () => { typingFor = null; });
  }
  document.querySelectorAll(".violation").forEach(card => {  // violations: kept in this browser only
    const show = () => { card.querySelector(".verdict").textContent = tr(verdictOf(card.dataset.id)); };
    card.querySelector(".confirm").onclick = () => { verdicts[card.dataset.id] = {verdict: "confirmed", at: new Date().toISOString()}; persist(); show(); };
    card.querySelector(".reject").onclick = () => { verdicts[card.dataset.id] = {verdict: "rejected", at: new Date().toISOString()}; persist(); show(); };
    show();
  });
  ["cls", "score", "width", "verdict"].forEach(k => { if (inputs[k]) inputs[k].addEventListener("input", () => { page = 0; refresh(false); }); });
  inputs.sort.addEventListener("input", () => sortBy(inputs.sort.value));
  document.getElementById("page-prev").onclick = () => { page = Math.max(0, page - 1); refresh(false); };
  document.getElementById("page-next").onclick = () => { page += 1; refresh(false); };
  document.addEventListener("keydown", e => {
    const tag = (e.target && e.target.tagName) || "";
    if (e.ctrlKey || e.metaKey || e.altKey || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    const k = e.key;
    if (k === "j" || k === "ArrowDown" || k === "ArrowRight") { step(1); }
    else if (k === "k" || k === "ArrowUp" || k === "ArrowLeft") { step(-1); }
    else if (k === "c" && current) { give(current.id, "confirmed"); }
    else if (k === "r" && current) { give(current.id, "rejected"); }
    else if (k === "x" && current) { current.el.querySelector(".correct").focus(); }
    else if ((k === "o" || k === "Enter") && current) { openViewer(current.id); }
    else if (k === "Escape") { closeViewer(); }
    else return;
    e.preventDefault();
  });
  document.getElementById("save").onclick = () => {
    const mine = {};
    Object.keys(verdicts).filter(id => byId[id]).forEach(id => { mine[id] = verdicts[id]; });
    const file = {flight: meta.flight, run: meta.run, verdicts: mine};
    const blob = new Blob([JSON.stringify(file, null, 1)], {type: "application/json"});
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = "verdicts-" + meta.run + ".json"; a.click();
  };
  refresh(false);
  if (served) {  // what the ledger already holds for this run (other reviewers, other browsers)
    fetch("api/verdicts").then(r => r.ok ? r.json() : {}).then(known => {
      merge(known).filter(id => itemById[id]).forEach(id => showCard(itemById[id]));  // newer there: another reviewer's
      status.textContent = tr("saved_live");
      refresh(true);
    }).catch(() => {});
  }
  window.dronecheckReview = {verdicts: verdicts, select: select, give: give, markers: markers, photoMap: () => photoMap};
})();
