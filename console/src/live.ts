// The live WebSocket: a snapshot, then numbered deltas; reconnects and resumes after a drop.
import { useEffect, useRef, useState } from "react";
import type { Alert, Incident, Unit } from "./api";

export interface LiveState {
  incidents: Map<number, Incident>;
  units: Map<number, Unit>;
  alerts: Map<number, Alert>;
  connected: boolean;
}

interface Message {
  type: string;
  epoch?: string;
  seq?: number;
  topic?: string;
  data?: Record<string, any>;
  incidents?: Incident[];
  units?: Unit[];
  alerts?: Alert[];
}

const OPEN = new Set(["new", "pending", "dispatched", "on_scene"]);

export function useLive(enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>({
    incidents: new Map(),
    units: new Map(),
    alerts: new Map(),
    connected: false,
  });
  const resume = useRef<{ epoch: string; seq: number } | null>(null);

  useEffect(() => {
    if (!enabled) return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let retry = 500;

    const connect = () => {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const query = resume.current
        ? `?since=${resume.current.seq}&epoch=${resume.current.epoch}`
        : "";
      socket = new WebSocket(`${scheme}://${location.host}/api/live${query}`);
      socket.onopen = () => {
        retry = 500;
        setState((s) => ({ ...s, connected: true }));
      };
      socket.onmessage = (event) => apply(JSON.parse(event.data) as Message);
      socket.onclose = () => {
        setState((s) => ({ ...s, connected: false }));
        if (!stopped) {
          setTimeout(connect, retry);
          retry = Math.min(retry * 2, 10_000);
        }
      };
    };

    const apply = (message: Message) => {
      if (message.type === "snapshot") {
        resume.current = { epoch: message.epoch ?? "", seq: message.seq ?? 0 };
        setState((s) => ({
          ...s,
          incidents: new Map((message.incidents ?? []).map((i) => [i.id, i])),
          units: new Map((message.units ?? []).map((u) => [u.id, u])),
          alerts: new Map((message.alerts ?? []).map((a) => [a.id, a])),
        }));
        return;
      }
      if (message.type === "resume") return;
      if (message.type !== "delta" || !message.data) return;
      if (resume.current && message.seq) resume.current.seq = message.seq;
      const data = message.data;
      setState((s) => update(s, message.topic ?? "", data));
    };

    connect();
    return () => {
      stopped = true;
      socket?.close();
    };
  }, [enabled]);

  return state;
}

function update(s: LiveState, topic: string, data: Record<string, any>): LiveState {
  if (topic === "incident.changed") {
    const incident = data.incident as Incident;
    const incidents = new Map(s.incidents);
    if (OPEN.has(incident.status)) incidents.set(incident.id, incident);
    else incidents.delete(incident.id);
    return { ...s, incidents };
  }
  if (topic === "unit.changed") {
    const unit = data.unit as Unit;
    const units = new Map(s.units);
    const known = units.get(unit.id);
    if (!known || known.version <= unit.version) units.set(unit.id, { ...known, ...unit });
    return { ...s, units };
  }
  if (topic === "alert.changed") {
    const alert = data.alert as Alert;
    const alerts = new Map(s.alerts);
    if (alert.status === "new") alerts.set(alert.id, alert);
    else alerts.delete(alert.id);
    return { ...s, alerts };
  }
  if (topic === "unit.moved") {
    const known = s.units.get(data.unit_id);
    if (!known) return s;
    const units = new Map(s.units);
    units.set(known.id, { ...known, lat: data.lat, lon: data.lon });
    return { ...s, units };
  }
  return s;
}
