// The alerts inbox: alarm and camera alerts, promoted to an incident or dismissed.
import { useState } from "react";
import { post, type Alert, type Incident } from "./api";
import { formatTime, type Translator } from "./i18n";

interface Props {
  t: Translator;
  alerts: Alert[];
  onPromoted: (incident: Incident) => void;
  onError: (message: string) => void;
}

export function Alerts({ t, alerts, onPromoted, onError }: Props) {
  const [reason, setReason] = useState<Record<number, string>>({});
  const fail = (exc: unknown) => onError(String(exc instanceof Error ? exc.message : exc));
  return (
    <section aria-label={t.alerts} className="alerts">
      <h2>
        {t.alerts} ({alerts.length})
      </h2>
      <ul>
        {alerts.map((a) => (
          <li key={a.id} data-alert={a.id}>
            <strong>{a.title}</strong> <small>{a.source}: {a.source_ref}</small>
            <br />
            <time dateTime={a.occurred_at}>{formatTime(t, a.occurred_at)}</time> {a.address}
            <div className="buttons">
              <button
                type="button"
                disabled={!a.suggested_nature}
                onClick={() =>
                  post<Incident>(`/api/alerts/${a.id}/promote`, { nature_code: a.suggested_nature })
                    .then(onPromoted)
                    .catch(fail)
                }
              >
                {t.promote} {a.suggested_nature}
              </button>
              <input
                aria-label={`${t.dismissReason} ${a.title}`}
                placeholder={t.dismissReason}
                value={reason[a.id] ?? ""}
                onChange={(e) => setReason({ ...reason, [a.id]: e.target.value })}
              />
              <button
                type="button"
                disabled={!reason[a.id]}
                onClick={() => post(`/api/alerts/${a.id}/dismiss`, { reason: reason[a.id] }).catch(fail)}
              >
                {t.dismiss}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
