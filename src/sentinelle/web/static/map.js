// The map page: a country's events, forecast risk, peacekeeping bases, analyst reports
// and a choropleth of the subnational aggregates (ACLED's HDX workbooks) on Leaflet,
// filtered by a month slider spanning the data. Data come from the JSON API; popups
// are built with textContent, never innerHTML, because analyst reports are user input.
// Each kind of layer has its own pane, stacked so that bases and reports stay on top
// (clickable) whatever the slider re-adds: cells re-added to one shared pane covered
// the base markers after a slider move. Place names (countries, regions, cercles, towns
// of the deployments; /api/aggregates/places) are shown by zoom level, the larger kinds
// first, and a label overlapping one already shown is hidden. The forecast layer
// shades the same unit polygons by the latest stored admin-unit forecast
// (/api/forecast/units), its popups giving the median and intervals of the draws.
"use strict";
(() => {
  const el = document.getElementById("map");
  if (!el) return;
  const cfg = el.dataset;
  const slider = document.getElementById("month");
  const windowSelect = document.getElementById("window");
  const label = document.getElementById("month-label");
  const counts = document.getElementById("counts");
  const metricSelect = document.getElementById("metric");
  const stringsEl = document.getElementById("map-strings");
  const T = stringsEl ? JSON.parse(stringsEl.textContent) : {};
  const view = new URLSearchParams(location.search);
  for (const [select, key] of [[windowSelect, "window"], [metricSelect, "metric"]]) {
    const wanted = view.get(key);
    if (select && wanted && [...select.options].some((o) => o.value === wanted)) select.value = wanted;
  }
  // Fills %(name)s placeholders of a translated label.
  const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, k) => String(values[k] ?? ""));

  // VIEWS month ids (1 = January 1980), as the API counts months.
  const monthId = (text) => {
    const [y, m] = text.split("-").map(Number);
    return (y - 1980) * 12 + m;
  };
  const monthLabel = (id) => {
    const y = 1980 + Math.floor((id - 1) / 12);
    return `${y}-${String(((id - 1) % 12) + 1).padStart(2, "0")}`;
  };

  // The month in words, in the page's language ("juillet 2019").
  const monthNames = new Intl.DateTimeFormat(document.documentElement.lang || "fr",
    { month: "long", year: "numeric", timeZone: "UTC" });
  const monthName = (id) => monthNames.format(new Date(Date.UTC(1980 + Math.floor((id - 1) / 12), (id - 1) % 12, 1)));

  const fail = (message) => {
    const p = document.createElement("p");
    p.className = "error";
    p.id = "map-error";
    p.textContent = message;
    el.before(p);
    el.dataset.ready = "error";
  };
  if (typeof L === "undefined") {
    fail(T.noLibrary);
    return;
  }

  const VIOLENCE = { state_based: "#b2182b", non_state: "#f1a340", one_sided: "#222222", other: "#878787" };
  const RISK = [[0.8, "#67000d"], [0.5, "#cb181d"], [0.2, "#fb6a4a"], [0.05, "#fcbba1"], [0, "#fff5f0"]];
  const riskColour = (p) => RISK.find(([floor]) => p >= floor)[1];
  // Choropleth classes (lower bounds) per metric, with a sequential palette (YlOrBr)
  // distinct from the reds of forecast risk; fixed, so months compare.
  const CLASSES = {
    fatalities: [0, 1, 5, 10, 25, 50, 100],
    events: [0, 1, 3, 5, 10, 20, 40],
  };
  const SHADES = ["#fbf8ef", "#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"];
  const NO_DATA = "#d9d9d9";
  const shade = (metric, value) => {
    const bounds = CLASSES[metric];
    let k = 0;
    for (let i = 0; i < bounds.length; i += 1) if (value >= bounds[i]) k = i;
    return SHADES[k];
  };

  const map = L.map(el, { zoomSnap: 0.25, zoomControl: false });
  L.control.zoom({ zoomInTitle: T.zoomIn, zoomOutTitle: T.zoomOut }).addTo(map);
  // Leaflet names its popups' close button in English: name it in the page's language.
  map.on("popupopen", (e) => {
    const close = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", T.closePopup); close.title = T.closePopup; }
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(T.outlines);
  // Panes, bottom to top (Leaflet's overlay pane is 400, shadows 500).
  const PANES = {
    outlines: 350, units: 380, forecast: 390, cells: 410, events: 420, bases: 440, reports: 450,
    labels: 460,
  };
  for (const [name, z] of Object.entries(PANES)) map.createPane(name).style.zIndex = String(z);
  map.getPane("labels").style.pointerEvents = "none";
  // Units named in a sentence ("cercle de Bandiagara"), by P-code, from the place names.
  const places = new Map();
  const capital = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);
  const numbers = new Intl.NumberFormat(document.documentElement.lang || "fr", { maximumFractionDigits: 1 });
  const outlines = L.geoJSON(null, {
    pane: "outlines",
    interactive: false,
    style: (f) => ({
      color: "#555", weight: f.properties.iso3 === cfg.country ? 2 : 0.7,
      fillColor: "#f2efe9", fillOpacity: 1,
    }),
  }).addTo(map);
  const aggMonths = cfg.aggFirst ? { first: monthId(cfg.aggFirst), last: monthId(cfg.aggLast) } : null;
  const unitLayer = L.geoJSON(null, {
    pane: "units",
    style: () => ({ color: "#7a6a58", weight: 0.6, fillColor: NO_DATA, fillOpacity: 0.75 }),
    onEachFeature: (f, layer) => {
      layer.on("add", () => layer.getElement().setAttribute("data-pcode", f.properties.pcode));
      layer.bindPopup(() => {
        const v = layer.value;
        return popup(capital(places.get(f.properties.pcode)) || f.properties.name || f.properties.pcode, [
          [T.pcode, f.properties.pcode], [T.region, v && v.admin1_name], [T.month, layer.month],
          [T.fatalities, v ? v.fatalities : T.noData], [T.events, v ? v.events : T.noData],
        ]);
      });
    },
  }).addTo(map);
  const riskLayer = L.layerGroup().addTo(map);
  const eventLayer = L.layerGroup().addTo(map);
  const baseLayer = L.layerGroup().addTo(map);
  const reportLayer = L.layerGroup().addTo(map);
  const overlays = {
    [T.layerEvents]: eventLayer,
    [T.layerRisk]: riskLayer,
    [T.layerBases]: baseLayer,
    [T.layerReports]: reportLayer,
  };
  if (aggMonths) overlays[T.unit.charAt(0).toUpperCase() + T.unit.slice(1)] = unitLayer;

  // The latest stored forecast of the units (cfg.unitForecast: admin1/admin2), shaded by
  // the expected fatalities of the month it forecasts; off until switched on.
  const FORECAST_CLASSES = [0, 1, 5, 10, 25, 50, 100];
  const FORECAST_SHADES = ["#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f"];
  const forecastShade = (value) => {
    let k = 0;
    for (let i = 0; i < FORECAST_CLASSES.length; i += 1) if (value >= FORECAST_CLASSES[i]) k = i;
    return FORECAST_SHADES[k];
  };
  let unitForecast = null; // the /api/forecast/units answer
  const forecastLayer = L.geoJSON(null, {
    pane: "forecast",
    // Opaque: the observed choropleth beneath must not tint the forecast's colours.
    style: () => ({ color: "#4a3f6b", weight: 0.6, fillColor: NO_DATA, fillOpacity: 1 }),
    onEachFeature: (f, layer) => {
      layer.on("add", () => layer.getElement().setAttribute("data-forecast-pcode", f.properties.pcode));
      layer.bindPopup(() => {
        const r = layer.forecast;
        const run = unitForecast.run;
        const title = capital(r ? r.place : places.get(f.properties.pcode)) || f.properties.name;
        return popup(title, [
          [T.forecastFor, monthName(monthId(unitForecast.month))],
          [T.expected, r ? numbers.format(r.mean) : T.noData],
          [T.median, r ? numbers.format(r.median) : null],
          [T.interval90, r ? `${numbers.format(r.q05)} – ${numbers.format(r.q95)}` : null],
          [T.interval50, r ? `${numbers.format(r.q25)} – ${numbers.format(r.q75)}` : null],
          [fmt(T.pAtLeast, { n: unitForecast.threshold }), r ? `${Math.round(r.p_exceed * 100)} %` : null],
          [T.region, r && r.admin1_name], [T.pcode, f.properties.pcode],
        ], fmt(T.forecastOrigin, {
          origin: monthName(run.origin), model: run.model, draws: run.n_draws,
        }) + (unitForecast.currency ? `. ${fmt(T.dataCurrency, { currency: unitForecast.currency })}` : ""),
        "provenance");
      });
    },
  });
  if (cfg.unitForecast && cfg.aggBoundaries) {
    overlays[fmt(T.layerUnitForecast, { units: T.unit })] = forecastLayer;
  }
  const labelLayer = L.layerGroup().addTo(map);
  overlays[T.layerLabels] = labelLayer;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend");
    const rows = [
      ["ev", T.legendEvent], ["open", T.legendOpen], ["closed", T.legendClosed],
      ["rep", T.legendReport], ["r0", T.legendRisk0], ["r1", T.legendRisk1],
      ["r2", T.legendRisk2], ["r3", T.legendRisk3], ["r4", T.legendRisk4],
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

  const aggLegend = L.control({ position: "bottomleft" });
  aggLegend.onAdd = () => L.DomUtil.create("div", "legend agg-legend");
  const drawAggLegend = () => {
    const div = aggLegend.getContainer();
    if (!div) return;
    const metric = metricSelect ? metricSelect.value : "fatalities";
    div.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = metric === "events" ? T.legendEvents : T.legendFatalities;
    div.append(title);
    const bounds = CLASSES[metric];
    bounds.forEach((low, i) => {
      const line = document.createElement("div");
      const swatch = document.createElement("i");
      swatch.style.background = SHADES[i];
      const next = bounds[i + 1];
      const text = next === undefined ? `≥ ${low}` : next - 1 === low ? `${low}` : `${low}–${next - 1}`;
      line.append(swatch, text);
      div.append(line);
    });
    const line = document.createElement("div");
    const swatch = document.createElement("i");
    swatch.style.background = NO_DATA;
    line.append(swatch, T.noData);
    div.append(line);
  };
  if (aggMonths) {
    aggLegend.addTo(map);
    drawAggLegend();
  }

  const forecastLegend = L.control({ position: "bottomleft" });
  forecastLegend.onAdd = () => {
    const div = L.DomUtil.create("div", "legend forecast-legend");
    const title = document.createElement("strong");
    title.textContent = fmt(T.legendForecast, { units: capital(T.unit), month: monthName(monthId(unitForecast.month)) });
    div.append(title);
    FORECAST_CLASSES.forEach((low, i) => {
      const line = document.createElement("div");
      const swatch = document.createElement("i");
      swatch.style.background = FORECAST_SHADES[i];
      const next = FORECAST_CLASSES[i + 1];
      line.append(swatch, next === undefined ? `≥ ${low}` : i === 0 ? `< ${next}` : `${low}–${next}`);
      div.append(line);
    });
    const note = document.createElement("small");
    const run = unitForecast.run;
    note.textContent = fmt(T.forecastOrigin, { origin: monthName(run.origin), model: run.model, draws: run.n_draws })
      + (unitForecast.currency ? `. ${fmt(T.dataCurrency, { currency: unitForecast.currency })}` : "");
    div.append(note);
    return div;
  };
  const paintForecast = () => {
    if (!unitForecast) return;
    const rows = new Map(unitForecast.rows.map((r) => [r.pcode, r]));
    let shown = 0;
    forecastLayer.eachLayer((layer) => {
      const r = rows.get(layer.feature.properties.pcode) || null;
      layer.forecast = r;
      layer.setStyle({ fillColor: r ? forecastShade(r.mean) : NO_DATA });
      if (r) shown += 1;
    });
    Object.assign(el.dataset, { forecastUnits: shown, forecastMonth: unitForecast.month });
  };
  map.on("overlayadd", (e) => {
    if (e.layer === forecastLayer) {
      // The forecast covers the observed choropleth: its legend takes the other's place.
      if (unitForecast) { aggLegend.remove(); forecastLegend.addTo(map); }
      view.set("forecast", "1");
      history.replaceState(null, "", `${location.pathname}?${view}`);
      el.dataset.forecastShown = "1";
    }
    if (e.layer === labelLayer) showLabels();
  });
  map.on("overlayremove", (e) => {
    if (e.layer === forecastLayer) {
      forecastLegend.remove();
      if (aggMonths && map.hasLayer(unitLayer)) { aggLegend.addTo(map); drawAggLegend(); }
      view.delete("forecast");
      history.replaceState(null, "", `${location.pathname}?${view}`);
      el.dataset.forecastShown = "";
    }
  });

  // Place names by zoom level: [kind, from zoom, below zoom], in the order they claim
  // room (a label overlapping one already shown is hidden).
  const LABEL_ZOOMS = [["country", 0, 7.5], ["admin1", 4.5, 8.5], ["town", 6.5, 99], ["admin2", 7.5, 99]];
  const labels = []; // {kind, marker}
  const showLabels = () => {
    if (!map.hasLayer(labelLayer)) return;
    const z = map.getZoom();
    const wanted = new Set(LABEL_ZOOMS.filter(([, low, high]) => z >= low && z < high).map(([k]) => k));
    for (const l of labels) toggle(labelLayer, l.marker, wanted.has(l.kind));
    const kept = [];
    const shown = {}; // labels written inside the map's frame, per kind
    const frame = el.getBoundingClientRect();
    for (const [kind] of LABEL_ZOOMS) {
      for (const l of labels) {
        if (l.kind !== kind || !wanted.has(kind)) continue;
        const icon = l.marker.getElement();
        if (!icon) continue;
        icon.classList.remove("overlapped");
        const box = icon.firstChild.getBoundingClientRect();
        const clash = kept.some((b) => box.left < b.right && box.right > b.left && box.top < b.bottom && box.bottom > b.top);
        if (clash) { icon.classList.add("overlapped"); continue; }
        kept.push(box);
        const inside = box.right > frame.left && box.left < frame.right && box.bottom > frame.top && box.top < frame.bottom;
        if (inside) shown[kind] = (shown[kind] || 0) + 1;
      }
    }
    Object.assign(el.dataset, {
      zoom: z, labelsCountry: shown.country || 0, labelsAdmin1: shown.admin1 || 0,
      labelsAdmin2: shown.admin2 || 0, labelsTown: shown.town || 0,
    });
  };
  map.on("moveend", showLabels); // after every zoom and pan

  // A popup: title, key-value rows, and a note under the title (analyst reports:
  // "unverified"; forecasts: their origin and data, noteClass "provenance").
  const popup = (title, rows, note, noteClass = "unverified") => {
    const div = document.createElement("div");
    const head = document.createElement("strong");
    head.textContent = title;
    div.append(head);
    if (note) {
      const p = document.createElement("div");
      p.className = noteClass;
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
    if (!response.ok) throw new Error(fmt(T.answered, { url, status: response.status }));
    return response.json();
  };

  const events = [];
  const cells = [];
  const bases = [];
  const reports = [];
  let countryRisk = null; // cm forecasts: month id -> P(>=25), shown on the outline

  // Choropleth values per month id, fetched once each: Promise of Map pcode -> values.
  const aggValues = new Map();
  const valuesOf = (m) => {
    if (!aggValues.has(m)) {
      const query = new URLSearchParams({
        country: cfg.country, month: monthLabel(m), level: cfg.aggLevel, series: cfg.aggSeries,
        source: cfg.aggSource,
      });
      const promise = getJSON(`/api/aggregates/values?${query}`)
        .then((body) => new Map(body.values.map((v) => [v.pcode, v])));
      promise.catch(() => aggValues.delete(m));
      aggValues.set(m, promise);
    }
    return aggValues.get(m);
  };
  let aggText = "";
  const paintUnits = async (m) => {
    if (!aggMonths) return;
    const metric = metricSelect ? metricSelect.value : "fatalities";
    if (m < aggMonths.first || m > aggMonths.last) {
      unitLayer.eachLayer((layer) => {
        layer.value = null;
        layer.month = monthLabel(m);
        layer.setStyle({ fillColor: NO_DATA });
      });
      aggText = fmt(T.outside, {
        source: T.source, month: monthLabel(m), first: cfg.aggFirst, last: cfg.aggLast,
      });
      Object.assign(el.dataset, { choroplethMonth: "", choroplethFatalities: "" });
      showCounts();
      return;
    }
    let values;
    try {
      values = await valuesOf(m);
    } catch (err) {
      aggText = err.message;
      showCounts();
      return;
    }
    if (Number(slider.value) !== m) return; // the slider moved on meanwhile
    let fatalities = 0;
    let events = 0;
    for (const v of values.values()) { fatalities += v.fatalities; events += v.events; }
    unitLayer.eachLayer((layer) => {
      const v = values.get(layer.feature.properties.pcode) || null;
      layer.value = v;
      layer.month = monthLabel(m);
      layer.setStyle({ fillColor: v ? shade(metric, v[metric]) : NO_DATA });
    });
    aggText = fmt(T.aggCounts, { units: T.unit, fatalities, events, month: monthLabel(m) });
    Object.assign(el.dataset, {
      choroplethMonth: monthLabel(m), choroplethFatalities: fatalities, choroplethEvents: events,
    });
    showCounts();
  };

  let baseText = "";
  const showCounts = () => {
    counts.textContent = aggText ? `${baseText} · ${aggText}` : baseText;
  };

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
      if (b.element) b.element.setAttribute("data-status", status);
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
    label.textContent = monthName(m);
    baseText = fmt(T.counts, { events: shown, fatalities: deaths, open, closed, cells: cellsShown,
      reports: reportsShown });
    showCounts();
    Object.assign(el.dataset, {
      month: monthLabel(m), eventsShown: shown, basesOpen: open, basesClosed: closed,
      cellsShown, reportsShown,
    });
    paintUnits(m);
  };

  const load = async () => {
    const country = encodeURIComponent(cfg.country);
    const source = cfg.source ? `&source=${encodeURIComponent(cfg.source)}` : "";
    const missions = cfg.missions ? cfg.missions.split(",") : [];
    const withUnits = aggMonths && cfg.aggBoundaries;
    const lang = encodeURIComponent(cfg.lang || document.documentElement.lang || "fr");
    const [shapes, collection, forecast, missionBases, filed, unitShapes, named, unitRun] = await Promise.all([
      getJSON("/api/boundaries"),
      getJSON(`/api/events?country=${country}${source}`),
      cfg.forecastUnit
        ? getJSON(`/api/forecast?unit=${cfg.forecastUnit}&country=${country}`, true) : null,
      Promise.all(missions.map(
        (m) => getJSON(`/api/aggregates/bases?mission=${encodeURIComponent(m)}&lang=${lang}`, true))),
      cfg.signedIn ? getJSON(`/api/incidents?country=${country}`, true) : null,
      withUnits
        ? getJSON(`/api/aggregates/units?country=${country}&level=${cfg.aggLevel}`
          + `&source=${encodeURIComponent(cfg.aggSource)}`) : null,
      getJSON(`/api/aggregates/places?country=${country}&lang=${lang}`, true),
      withUnits && cfg.unitForecast
        ? getJSON(`/api/forecast/units?country=${country}&unit=${cfg.unitForecast}`
          + `&source=${encodeURIComponent(cfg.aggSource)}&lang=${lang}`, true) : null,
    ]);
    outlines.addData(shapes);
    for (const l of (named && named.labels) || []) {
      if (l.pcode && l.kind !== "country") places.set(l.pcode, l.place);
      const text = document.createElement("span");
      text.textContent = l.name;
      const marker = L.marker([l.latitude, l.longitude], {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: ["place-label", `place-${l.kind}`].join(" "), html: text, iconSize: [0, 0] }),
      });
      marker.on("add", () => {
        const icon = marker.getElement();
        icon.setAttribute("data-place", l.kind);
        if (l.pcode) icon.setAttribute("data-pcode", l.pcode);
      });
      labels.push({ kind: l.kind, marker });
    }
    if (unitShapes) {
      unitLayer.addData(unitShapes);
      if (unitRun) {
        unitForecast = unitRun;
        forecastLayer.addData(unitShapes);
        paintForecast();
      }
    }

    for (const f of collection.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const marker = L.circleMarker([lat, lon], {
        pane: "events", radius: Math.min(3 + Math.sqrt(p.fatalities), 14), color: "#ffffff", weight: 0.5,
        fillColor: VIOLENCE[p.violence_type] || VIOLENCE.other, fillOpacity: 0.75,
        className: "event-marker",
      });
      marker.bindPopup(() => popup(`${p.date} · ${p.location || ""}`, [
        [T.fatalities, p.fatalities], [T.civilianDeaths, p.civilian_deaths],
        [T.type, p.event_type || T[`violence_${p.violence_type}`] || p.violence_type],
        [T.sideA, p.side_a], [T.sideB, p.side_b],
        [T.region, p.admin1], [T.sourceLabel, `${p.source} (${p.id})`],
      ]));
      events.push({ month: p.month, fatalities: p.fatalities, marker });
    }

    const months = events.map((e) => e.month);
    if (forecast) {
      for (const row of forecast.rows) {
        if (row.bounds) {
          const [w, s, e, n] = row.bounds;
          const rect = L.rectangle([[s, w], [n, e]], {
            pane: "cells", weight: 0.3, color: "#777777", fillColor: riskColour(row.p_exceed), fillOpacity: 0.6,
            className: "risk-cell",
          });
          rect.bindPopup(() => popup(fmt(T.forecastCell, { month: row.month, cell: row.unit_id }), [
            [T.pExceed, `${Math.round(row.p_exceed * 100)} %`], [T.median, row.median],
            [T.interval90, `${row.q05} – ${row.q95}`],
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
          pane: "bases", radius: 7, weight: 2, fillOpacity: 0.95, className: "base-marker",
        });
        marker.bindPopup(() => popup(`${b.mission}: ${b.base}`, [
          [T.opened, b.open_month], [T.closedFrom, b.closed_from || T.openAtEnd],
          [T.closureDate, b.closure_date
            ? `${b.closure_date} (${T[`precision_${b.date_precision}`] || b.date_precision})` : null],
          [T.happened, b.event], [T.takenOver, b.taken_over_by],
          [T.inUnit, b.unit_name ? `${capital(places.get(b.pcode)) || b.unit_name} (${b.pcode})` : null],
          [T.sourceLabel, b.citation],
        ]));
        const entry = { opened: b.open_month_id, closed: b.closed_from_id, marker, element: null };
        marker.on("add", () => {
          entry.element = marker.getElement();
          entry.element.setAttribute("data-base", b.base);
        });
        bases.push(entry);
      }
    }

    for (const r of filed || []) {
      if (r.provenance.status === "rejected") continue;
      const marker = L.circleMarker([r.latitude, r.longitude], {
        pane: "reports", radius: 8, weight: 2, color: "#762a83", dashArray: "3 3", fillColor: "#f3e8fb",
        fillOpacity: 0.8, className: "report-marker",
      });
      const note = r.provenance.status === "confirmed"
        ? fmt(T.reportConfirmed, { reviewer: r.provenance.reviewed_by }) : T.reportUnverified;
      marker.bindPopup(() => popup(`#${r.incident_id} · ${r.event_date} · ${r.location_name || ""}`, [
        [T.fatalities, r.fatalities], [T.actors, r.actors.join("; ")], [T.sourceLabel, r.source],
        [T.confidence, T[`confidence_${r.confidence}`] || r.confidence], [T.filedBy, r.provenance.submitted_by],
      ], note));
      reports.push({ month: monthId(r.event_date.slice(0, 7)), marker });
    }

    // The slider spans the data (events and aggregates); a forecast reaching past them
    // extends it, but the map opens on the last month of data.
    const dataFirst = aggMonths ? Math.min(monthId(cfg.first), aggMonths.first) : monthId(cfg.first);
    const dataLast = aggMonths ? Math.max(monthId(cfg.last), aggMonths.last) : monthId(cfg.last);
    const first = Math.min(dataFirst, ...months);
    const last = Math.max(dataLast, ...months);
    // A shared link opens on its month (?month=YYYY-MM), else on the last month of data.
    const asked = /^\d{4}-\d{2}$/.test(view.get("month") || "") ? monthId(view.get("month")) : NaN;
    const start = asked >= first && asked <= last ? asked : dataLast;
    Object.assign(slider, { min: first, max: last, value: start, disabled: false });
    const mine = L.geoJSON(shapes.features.filter((f) => f.properties.iso3 === cfg.country));
    const bounds = mine.getLayers().length ? mine.getBounds()
      : L.latLngBounds(events.map((e) => e.marker.getLatLng()));
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    else map.setView([0, 0], 2);
    update();
    showLabels();
    if (unitForecast && view.get("forecast") === "1") map.addLayer(forecastLayer);
    el.dataset.ready = "1";
  };

  // The URL holds the view (month, window, metric), so that a view can be shared.
  const remember = () => {
    view.set("month", monthLabel(Number(slider.value)));
    view.set("window", windowSelect.value);
    if (metricSelect) view.set("metric", metricSelect.value);
    history.replaceState(null, "", `${location.pathname}?${view}`);
  };
  slider.addEventListener("input", () => { update(); remember(); });
  windowSelect.addEventListener("change", () => { update(); remember(); });
  if (metricSelect) {
    metricSelect.addEventListener("change", () => {
      drawAggLegend();
      paintUnits(Number(slider.value));
      remember();
    });
  }
  load().catch((err) => fail(fmt(T.loadFailed, { error: err.message })));
})();
