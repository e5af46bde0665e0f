// One incident: recommended units with ETA and reasons, dispatch, assigned units and
// their statuses, timeline, notes, closing.
import { useCallback, useEffect, useState } from "react";
import {
  api,
  post,
  type Assignment,
  type Incident,
  type Recommendation,
  type TimelineStep,
  type Unit,
} from "./api";
import { formatTime, type Translator } from "./i18n";

const STATUSES = [
  "dispatched",
  "en_route",
  "on_scene",
  "transporting",
  "at_hospital",
  "available_on_radio",
  "available",
];

export const NEXT_STATUS: Record<string, string> = {
  dispatched: "en_route",
  en_route: "on_scene",
  on_scene: "available_on_radio",
  transporting: "at_hospital",
  at_hospital: "available_on_radio",
};

interface Props {
  t: Translator;
  incident: Incident;
  units: Map<number, Unit>;
  onError: (message: string) => void;
}

export interface DetailActions {
  dispatchRecommended: () => Promise<void>;
  advanceFirstUnit: () => Promise<void>;
  close: () => Promise<void>;
}

export function useDetail({ t, incident, units, onError }: Props) {
  const [advice, setAdvice] = useState<Recommendation | null>(null);
  const [sent, setSent] = useState<Assignment[]>([]);
  const [steps, setSteps] = useState<TimelineStep[]>([]);
  const [notes, setNotes] = useState<{ id: number; text: string; author: string }[]>([]);
  const id = incident.id;
  const statusKey = [...units.values()].map((u) => `${u.id}:${u.status}`).join(",");

  const refresh = useCallback(async () => {
    try {
      const [a, s, n] = await Promise.all([
        api<Assignment[]>(`/api/incidents/${id}/units`),
        api<TimelineStep[]>(`/api/incidents/${id}/timeline`),
        api<{ id: number; text: string; author: string }[]>(`/api/incidents/${id}/notes`),
      ]);
      setSent(a);
      setSteps(s);
      setNotes(n);
      setAdvice(await post<Recommendation>(`/api/incidents/${id}/recommendation`, {}));
    } catch (exc) {
      onError(String(exc instanceof Error ? exc.message : exc));
    }
  }, [id, onError]);

  useEffect(() => {
    refresh();
  }, [refresh, incident.version, statusKey]);

  const proposed = advice?.requirements.flatMap((r) => r.proposed) ?? [];
  const active = sent.filter((a) => a.ended_at == null);

  const actions: DetailActions = {
    dispatchRecommended: async () => {
      if (!proposed.length) return;
      await post(`/api/incidents/${id}/units`, { unit_ids: proposed.map((o) => o.unit_id) });
      await refresh();
    },
    advanceFirstUnit: async () => {
      const unit = active.map((a) => units.get(a.unit_id)).find((u) => u && NEXT_STATUS[u.status]);
      if (!unit) return;
      await post(`/api/units/${unit.id}/status`, { status: NEXT_STATUS[unit.status], source: "radio" });
      await refresh();
    },
    close: async () => {
      await post(`/api/incidents/${id}/close`, { disposition: "handled" });
    },
  };

  const view = (
    <section className="detail" aria-label={t.detail}>
      <h2>
        {incident.number} · {incident.nature_code} · {t.priority}
        {incident.priority}
      </h2>
      <p>
        <span className={`status status-${incident.status}`}>{incident.status}</span> {incident.address}
      </p>
      {incident.summary && <p className="summary">{incident.summary}</p>}
      <h3>{t.recommended}</h3>
      <p className="plan">{advice?.plan_name}</p>
      {proposed.length ? (
        <ul className="recommended">
          {proposed.map((o) => (
            <li key={o.unit_id}>
              <strong>{o.callsign}</strong> {o.unit_type} · {t.eta}{" "}
              {o.eta_s != null ? `${Math.round(o.eta_s)} s` : "–"} ·{" "}
              {o.road_m != null ? `${(o.road_m / 1000).toFixed(1)} km` : ""} · {o.reason}
            </li>
          ))}
        </ul>
      ) : (
        <p>{t.noneRecommended}</p>
      )}
      <button type="button" disabled={!proposed.length} onClick={() => actions.dispatchRecommended()}>
        {t.dispatch} (D)
      </button>
      <h3>{t.dispatched}</h3>
      <ul className="assigned">
        {active.map((a) => {
          const unit = units.get(a.unit_id);
          return (
            <li key={a.unit_id} data-assigned={unit?.callsign}>
              <strong>{unit?.callsign ?? a.unit_id}</strong>{" "}
              <select
                aria-label={`${t.unitStatus} ${unit?.callsign ?? a.unit_id}`}
                value={unit?.status}
                onChange={(e) =>
                  post(`/api/units/${a.unit_id}/status`, { status: e.target.value, source: "radio" })
                    .then(refresh)
                    .catch((exc) => onError(String(exc.message ?? exc)))
                }
              >
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s.replaceAll("_", " ")}
                  </option>
                ))}
              </select>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={() => actions.close()}>
        {t.close} (C)
      </button>
      <h3>{t.timeline}</h3>
      <ol className="timeline">
        {steps.map((s, n) => (
          <li key={n}>
            <time dateTime={s.at}>{formatTime(t, s.at)}</time> {s.kind.replaceAll("_", " ")}
            {typeof s.data?.callsign === "string" ? ` ${s.data.callsign}` : ""}
          </li>
        ))}
      </ol>
      <h3>{t.notes}</h3>
      <ul>
        {notes.map((n) => (
          <li key={n.id}>{n.text}</li>
        ))}
      </ul>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const field = e.currentTarget.elements.namedItem("note") as HTMLInputElement;
          if (!field.value.trim()) return;
          await post(`/api/incidents/${id}/notes`, { text: field.value });
          field.value = "";
          refresh();
        }}
      >
        <label>
          {t.addNote}
          <input name="note" />
        </label>
      </form>
    </section>
  );
  return { view, actions };
}
