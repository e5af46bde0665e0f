// Supervisor figures: response-time intervals of the last 12 hours against their targets.
import { useEffect, useState } from "react";
import { api } from "./api";
import type { Translator } from "./i18n";

interface Figure {
  interval: string;
  count: number;
  median_s: number | null;
  p90_s: number | null;
  within_target: number | null;
  target_s: number;
  standard: string;
}

export function Figures({ t }: { t: Translator }) {
  const [figures, setFigures] = useState<Figure[]>([]);
  const [incidents, setIncidents] = useState(0);

  useEffect(() => {
    const load = () =>
      api<{ incidents: number; figures: Figure[] }>("/api/response-times?hours=12")
        .then((r) => {
          setFigures(r.figures);
          setIncidents(r.incidents);
        })
        .catch(() => undefined);
    load();
    const timer = setInterval(load, 15_000);
    return () => clearInterval(timer);
  }, []);

  const pct = new Intl.NumberFormat(t.locale, { style: "percent" });
  const secs = (v: number | null) => (v == null ? "–" : `${Math.round(v)} s`);
  return (
    <section aria-label={t.figures} className="figures">
      <h2>{t.figures}</h2>
      <p>
        <small>
          {t.last12h}: {incidents}
        </small>
      </p>
      <table>
        <thead>
          <tr>
            <th>{t.interval}</th>
            <th>p50</th>
            <th>p90</th>
            <th>{t.withinTarget}</th>
          </tr>
        </thead>
        <tbody>
          {figures.map((f) => (
            <tr key={f.interval} title={f.standard}>
              <td>{t.intervals[f.interval as keyof Translator["intervals"]] ?? f.interval}</td>
              <td>{secs(f.median_s)}</td>
              <td>{secs(f.p90_s)}</td>
              <td>
                {f.within_target == null ? "–" : pct.format(f.within_target)} ≤ {f.target_s} s
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
