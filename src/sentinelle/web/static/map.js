// The map page: a country's events, forecast risk, peacekeeping bases and analyst
// reports on Leaflet, filtered by a month slider. Data come from the JSON API; popups
// are built with textContent, never innerHTML, because analyst reports are user input.
"use strict";
(() => {
  const el = document.getElementById("map");
  if (!el) return;
  const cfg = el.dataset;
  const slider = document.getElementById("month");
  const windowSelect = document.getElementById("window");
  const label = document.getElementById("month-label");
  const counts = document.getElementById("counts");

  // VIEWS month ids (1 = January 1980), as the API counts months.
  const monthId = (text) => {
    const [y, m] = text.split("-").map(Number);
    return (y - 1980) * 12 + m;
  };
  const monthLabel = (id) => {
    const y = 1980 + Math.floor((id - 1) / 12);
    return `${y}-${String(((id - 1) % 12) + 1).padStart(2, "0")}`;
  };

  const fail = (message) => {
    const p = document.createElement("p");
    p.className = "error";
    p.id = "map-error";
    p.textContent = message;
    el.before(p);
    el.dataset.ready = "error";
  };
  if (typeof L === "undefined") {
    fail("The map library did not load: run scripts/build_web.sh and restart the server.");
    return;
  }

  const VIOLENCE = { state_based: "#b2182b", non_state: "#f1a340", one_sided: "#222222", other: "#878787" };
  const RISK = [[0.8, "#67000d"], [0.5, "#cb181d"], [0.2, "#fb6a4a"], [0.05, "#fcbba1"], [0, "#fff5f0"]];
  const riskColour = (p) => RISK.find(([floor]) => p >= floor)[1];

  const map = L.map(el, { zoomSnap: 0.25 });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Outlines: Natural Earth");
  const outlines = L.geoJSON(null, {
    interactive: false,
    style: (f) => ({
      color: "#555", weight: f.properties.iso3 === cfg.country ? 2 : 0.7,
      fillColor: "#f2efe9", fillOpacity: 1,
    }),
  }).addTo(map);
  const riskLayer = L.layerGroup().addTo(map);
  const eventLayer = L.layerGroup().addTo(map);
  const baseLayer = L.layerGroup().addTo(map);
  const reportLayer = L.layerGroup().addTo(map);
  L.control.layers(null, {
    "Events": eventLayer,
    "Forecast risk": riskLayer,
    "Peacekeeping bases": baseLayer,
    "Analyst reports (unverified)": reportLayer,
  }, { collapsed: false }).addTo(map);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    const rows = [
      ["ev", "event (size: fatalities)"], ["open", "base open"], ["closed", "base closed"],
      ["rep", "analyst report, unverified"], ["r0", "P(≥25) < 5%"], ["r1", "5–20%"],
      ["r2", "20–50%"], ["r3", "50–80%"], ["r4", "≥ 80%"],
    ];
    for (const [cls, text] of rows) {
      const line = document.createElement("div");
      const swatch = document.createElement("i");
      swatch.className = cls;
      line.append(swatch, text);
      div.append(line);
    }
    return div;
  };
  legend.addTo(map);

  const popup = (title, rows, note) => {
    const div = document.createElement("div");
    const head = document.createElement("strong");
    head.textContent = title;
    div.append(head);
    if (note) {
      const p = document.createElement("div");
      p.className = "unverified";
      p.textContent = note;
      div.append(p);
    }
    const dl = document.createElement("dl");
    for (const [key, value] of rows) {
      if (value === null || value === undefined || value === "") continue;
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = key;
      dd.textContent = String(value);
      dl.append(dt, dd);
    }
    div.append(dl);
    return div;
  };

  const getJSON = async (url, optional = false) => {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (optional && (response.status === 404 || response.status === 401)) return null;
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  };

  const events = [];
  const cells = [];
  const bases = [];
  const reports = [];
  let countryRisk = null; // cm forecasts: month id -> P(>=25), shown on the outline

  const toggle = (layer, marker, show) => {
    if (show && !layer.hasLayer(marker)) layer.addLayer(marker);
    else if (!show && layer.hasLayer(marker)) layer.removeLayer(marker);
  };

  const update = () => {
    const m = Number(slider.value);
    const span = Number(windowSelect.value);
    const inWindow = (month) => month <= m && month > m - span;
    let shown = 0;
    let deaths = 0;
    for (const e of events) {
      const show = inWindow(e.month);
      toggle(eventLayer, e.marker, show);
      if (show) { shown += 1; deaths += e.fatalities; }
    }
    let cellsShown = 0;
    for (const c of cells) {
      const show = c.month === m;
      toggle(riskLayer, c.rect, show);
      if (show) cellsShown += 1;
    }
    let open = 0;
    let closed = 0;
    for (const b of bases) {
      const status = m < b.opened ? "not_open_yet" : b.closed !== null && m >= b.closed ? "closed" : "open";
      toggle(baseLayer, b.marker, status !== "not_open_yet");
      if (status === "open") {
        open += 1;
        b.marker.setStyle({ fillColor: "#2166ac", color: "#ffffff", dashArray: null, fillOpacity: 0.95 });
      } else if (status === "closed") {
        closed += 1;
        b.marker.setStyle({ fillColor: "#bbbbbb", color: "#555555", dashArray: "2 2", fillOpacity: 0.9 });
      }
    }
    let reportsShown = 0;
    for (const r of reports) {
      const show = inWindow(r.month);
      toggle(reportLayer, r.marker, show);
      if (show) reportsShown += 1;
    }
    if (countryRisk) {
      const p = countryRisk.get(m);
      outlines.setStyle((f) => (f.properties.iso3 === cfg.country && p !== undefined
        ? { fillColor: riskColour(p), fillOpacity: 0.8 } : { fillColor: "#f2efe9", fillOpacity: 1 }));
    }
    label.textContent = monthLabel(m);
    counts.textContent = `${shown} events (${deaths} fatalities) · bases: ${open} open, ${closed} closed`
      + ` · ${cellsShown} forecast cells · ${reportsShown} analyst reports`;
    Object.assign(el.dataset, {
      month: monthLabel(m), eventsShown: shown, basesOpen: open, basesClosed: closed,
      cellsShown, reportsShown,
    });
  };

  const load = async () => {
    const country = encodeURIComponent(cfg.country);
    const source = cfg.source ? `&source=${encodeURIComponent(cfg.source)}` : "";
    const missions = cfg.missions ? cfg.missions.split(",") : [];
    const [shapes, collection, forecast, missionBases, filed] = await Promise.all([
      getJSON("/api/boundaries"),
      getJSON(`/api/events?country=${country}${source}`),
      cfg.forecastUnit
        ? getJSON(`/api/forecast?unit=${cfg.forecastUnit}&country=${country}`, true) : null,
      Promise.all(missions.map((m) => getJSON(`/api/bases?mission=${encodeURIComponent(m)}`, true))),
      cfg.signedIn ? getJSON(`/api/incidents?country=${country}`, true) : null,
    ]);
    outlines.addData(shapes);

    for (const f of collection.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const marker = L.circleMarker([lat, lon], {
        radius: Math.min(3 + Math.sqrt(p.fatalities), 14), color: "#ffffff", weight: 0.5,
        fillColor: VIOLENCE[p.violence_type] || VIOLENCE.other, fillOpacity: 0.75,
        className: "event-marker",
      });
      marker.bindPopup(() => popup(`${p.date} · ${p.location || ""}`, [
        ["Fatalities", p.fatalities], ["Civilian deaths", p.civilian_deaths],
        ["Type", p.event_type || p.violence_type], ["Side A", p.side_a], ["Side B", p.side_b],
        ["Region", p.admin1], ["Source", `${p.source} (${p.id})`],
      ]));
      events.push({ month: p.month, fatalities: p.fatalities, marker });
    }

    const months = events.map((e) => e.month);
    if (forecast) {
      for (const row of forecast.rows) {
        if (row.bounds) {
          const [w, s, e, n] = row.bounds;
          const rect = L.rectangle([[s, w], [n, e]], {
            weight: 0.3, color: "#777777", fillColor: riskColour(row.p_exceed), fillOpacity: 0.6,
            className: "risk-cell",
          });
          rect.bindPopup(() => popup(`Forecast ${row.month}, cell ${row.unit_id}`, [
            ["P(≥25)", `${Math.round(row.p_exceed * 100)}%`], ["Median", row.median],
            ["90% interval", `${row.q05} – ${row.q95}`],
          ]));
          cells.push({ month: row.month_id, rect });
        } else {
          countryRisk = countryRisk || new Map();
          countryRisk.set(row.month_id, row.p_exceed);
        }
        months.push(row.month_id);
      }
    }

    for (const rows of missionBases) {
      for (const b of rows || []) {
        const marker = L.circleMarker([b.latitude, b.longitude], {
          radius: 7, weight: 2, fillOpacity: 0.95, className: "base-marker",
        });
        marker.bindPopup(() => popup(`${b.mission}: ${b.base}`, [
          ["Opened", b.open_month], ["Closed from", b.closed_from || "open at end of data"],
          ["Closure date", b.closure_date ? `${b.closure_date} (${b.date_precision})` : null],
          ["Source", b.citation], ["Max troops", b.max_troops],
        ]));
        bases.push({ opened: b.open_month_id, closed: b.closed_from_id, marker });
      }
    }

    for (const r of filed || []) {
      if (r.provenance.status === "rejected") continue;
      const marker = L.circleMarker([r.latitude, r.longitude], {
        radius: 8, weight: 2, color: "#762a83", dashArray: "3 3", fillColor: "#f3e8fb",
        fillOpacity: 0.8, className: "report-marker",
      });
      const note = r.provenance.status === "confirmed"
        ? `Analyst report, confirmed by ${r.provenance.reviewed_by}` : "Analyst report, unverified";
      marker.bindPopup(() => popup(`#${r.incident_id} · ${r.event_date} · ${r.location_name || ""}`, [
        ["Fatalities", r.fatalities], ["Actors", r.actors.join("; ")], ["Source", r.source],
        ["Confidence", r.confidence], ["Filed by", r.provenance.submitted_by],
      ], note));
      reports.push({ month: monthId(r.event_date.slice(0, 7)), marker });
    }

    const first = Math.min(monthId(cfg.first), ...months);
    const last = Math.max(monthId(cfg.last), ...months);
    Object.assign(slider, { min: first, max: last, value: monthId(cfg.last), disabled: false });
    const mine = L.geoJSON(shapes.features.filter((f) => f.properties.iso3 === cfg.country));
    const bounds = mine.getLayers().length ? mine.getBounds()
      : L.latLngBounds(events.map((e) => e.marker.getLatLng()));
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    else map.setView([0, 0], 2);
    update();
    el.dataset.ready = "1";
  };

  slider.addEventListener("input", update);
  windowSelect.addEventListener("change", update);
  load().catch((err) => fail(`The map could not load its data: ${err.message}`));
})();
