// The map: roads drawn from the install's own network (no tile server needed), incidents
// by priority, units by status, stations. An optional tile URL draws under it.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { useEffect, useRef } from "react";
import { api, type Camera, type Incident, type Station, type Unit } from "./api";

export const STATUS_COLOURS: Record<string, string> = {
  available: "#2e9d4f",
  available_on_radio: "#6cc08b",
  dispatched: "#e0a800",
  en_route: "#f08c00",
  on_scene: "#d9480f",
  transporting: "#7048e8",
  at_hospital: "#5f3dc4",
  out_of_service: "#868e96",
};
const PRIORITY_COLOURS = ["#c92a2a", "#e8590c", "#f59f00", "#1c7ed6", "#495057"];
const CAMERA_REACH_M = 60; // how far a camera's field-of-view wedge reaches on the map

/** The wedge a camera sees: its place, then an arc across its field of view. */
function cameraWedge(c: Camera): L.LatLngExpression[] {
  const metresPerDegree = 111_320;
  const cosLat = Math.cos((c.lat * Math.PI) / 180);
  const points: L.LatLngExpression[] = [[c.lat, c.lon]];
  const steps = Math.max(2, Math.ceil(c.fov_deg / 10));
  for (let k = 0; k <= steps; k++) {
    const bearing = ((c.heading_deg - c.fov_deg / 2 + (c.fov_deg * k) / steps) * Math.PI) / 180;
    points.push([
      c.lat + (CAMERA_REACH_M * Math.cos(bearing)) / metresPerDegree,
      c.lon + (CAMERA_REACH_M * Math.sin(bearing)) / (metresPerDegree * cosLat),
    ]);
  }
  return points;
}

interface Props {
  incidents: Incident[];
  units: Unit[];
  stations: Station[];
  cameras: Camera[];
  tiles: string | null;
  coverage: boolean;
  selected: number | null;
  onPick: (lat: number, lon: number) => void;
  onSelect: (id: number) => void;
}

export function MapView(props: Props) {
  const { incidents, units, stations, cameras, tiles, coverage, selected, onPick, onSelect } = props;
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const layers = useRef<Record<
    "incidents" | "units" | "stations" | "coverage" | "cameras",
    L.LayerGroup
  > | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    if (!box.current || map.current) return;
    const m = L.map(box.current, { zoomControl: true, attributionControl: true });
    m.setView([60.1675, 24.944], 15);
    m.attributionControl.setPrefix("© OpenStreetMap contributors (ODbL)");
    if (tiles) L.tileLayer(tiles, { maxZoom: 19 }).addTo(m);
    const roads = L.layerGroup().addTo(m);
    layers.current = {
      coverage: L.layerGroup().addTo(m),
      stations: L.layerGroup().addTo(m),
      cameras: L.layerGroup().addTo(m),
      incidents: L.layerGroup().addTo(m),
      units: L.layerGroup().addTo(m),
    };
    m.on("click", (e: L.LeafletMouseEvent) => pick.current(e.latlng.lat, e.latlng.lng));
    map.current = m;
    api<{ segments: [number, number, number, number][] }>("/api/roads").then(({ segments }) => {
      const lines = segments.map(([a, b, c, d]) => [[a, b], [c, d]] as L.LatLngExpression[]);
      L.polyline(lines, { className: "road", weight: 2, interactive: false }).addTo(roads);
      if (lines.length) m.fitBounds(L.polyline(lines).getBounds(), { padding: [10, 10] });
    }).catch(() => undefined);
  }, [tiles]);

  useEffect(() => {
    const group = layers.current?.coverage;
    if (!group) return;
    group.clearLayers();
    if (!coverage) return;
    for (const s of stations) {
      api<{ polygon: [number, number][] }>(`/api/stations/${s.id}/coverage?minutes=8`)
        .then(({ polygon }) => {
          if (polygon.length > 2) L.polygon(polygon, { className: "coverage", interactive: false }).addTo(group);
        })
        .catch(() => undefined);
    }
  }, [coverage, stations]);

  useEffect(() => {
    const group = layers.current?.stations;
    if (!group) return;
    group.clearLayers();
    for (const s of stations) {
      L.circleMarker([s.lat, s.lon], { radius: 6, className: "station" })
        .bindTooltip(`${s.code} ${s.name}`)
        .addTo(group);
    }
  }, [stations]);

  useEffect(() => {
    const group = layers.current?.cameras;
    if (!group) return;
    group.clearLayers();
    for (const c of cameras) {
      const state = c.enabled ? c.health.state : "disabled";
      const label = `${c.name}: ${state}${c.health.last_error ? ` (${c.health.last_error})` : ""}`;
      L.polygon(cameraWedge(c), { className: `camera-fov camera-${state}`, interactive: false }).addTo(group);
      L.circleMarker([c.lat, c.lon], { radius: 5, className: `camera camera-${state} camera-${c.id}` })
        .bindTooltip(label)
        .addTo(group);
    }
  }, [cameras]);

  useEffect(() => {
    const group = layers.current?.incidents;
    if (!group) return;
    group.clearLayers();
    for (const i of incidents) {
      if (i.lat == null || i.lon == null) continue;
      const colour = PRIORITY_COLOURS[Math.min(4, Math.max(0, i.priority - 1))];
      L.circleMarker([i.lat, i.lon], {
        radius: i.id === selected ? 12 : 9,
        color: colour,
        fillColor: colour,
        fillOpacity: 0.6,
        className: `incident-marker incident-${i.id}`,
      })
        .bindTooltip(`${i.number} ${i.nature_code} P${i.priority}`)
        .on("click", () => onSelect(i.id))
        .addTo(group);
    }
  }, [incidents, selected, onSelect]);

  useEffect(() => {
    const group = layers.current?.units;
    if (!group) return;
    group.clearLayers();
    for (const u of units) {
      if (u.lat == null || u.lon == null) continue;
      const icon = L.divIcon({
        className: "unit-icon",
        html: `<span data-unit="${u.callsign}" data-lat="${u.lat}" data-lon="${u.lon}" style="background:${
          STATUS_COLOURS[u.status] ?? "#888"
        }">${u.callsign}</span>`,
        iconSize: [36, 18],
      });
      L.marker([u.lat, u.lon], { icon, keyboard: false }).bindTooltip(`${u.callsign} ${u.status}`).addTo(group);
    }
  }, [units]);

  return <div ref={box} className="map" role="region" aria-label="Map" />;
}
