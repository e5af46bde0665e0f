// The dispatcher's console: map, queue, unit board, intake and incident detail, all
// driven from the keyboard, live over the WebSocket.
import { useCallback, useEffect, useMemo, useState } from "react";
import { Alerts } from "./Alerts";
import { Enrol } from "./Enrol";
import { Figures } from "./Figures";
import { api, post, type Camera, type Incident, type Nature, type Station } from "./api";
import { useDetail } from "./Detail";
import { LANGUAGES, formatAge, translator, type Lang, type Translator } from "./i18n";
import { Intake, hasDraft } from "./Intake";
import { useLive } from "./live";
import { Login } from "./Login";
import { MapView, STATUS_COLOURS } from "./MapView";

type Theme = "dark" | "light";

/** A choice kept in the browser under ``key`` (which may change, e.g. per user). */
function useStored<T extends string>(key: string, initial: T): [T, (v: T) => void] {
  const [, setVersion] = useState(0);
  const value = (localStorage.getItem(key) as T) || initial;
  const set = (v: T) => {
    localStorage.setItem(key, v);
    setVersion((n) => n + 1);
  };
  return [value, set];
}

/** The agency's cameras with their health, for those allowed to see them (every 15 s). */
function useCameras(): Camera[] {
  const [cameras, setCameras] = useState<Camera[]>([]);
  useEffect(() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const load = () => api<Camera[]>("/api/cameras").then(setCameras).catch(() => undefined);
    api<{ permissions: string[] }>("/api/auth/me")
      .then((me) => {
        if (!me.permissions.includes("camera.read")) return;
        load();
        timer = setInterval(load, 15_000);
      })
      .catch(() => undefined);
    return () => clearInterval(timer);
  }, []);
  return cameras;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function App() {
  const [user, setUser] = useState<string | null>(null);
  const [tiles, setTiles] = useState<string | null>(null);
  const [mustEnrol, setMustEnrol] = useState(false);
  const [checked, setChecked] = useState(false);
  const [theme, setTheme] = useStored<Theme>("signalfire.theme", "dark");
  const [lang, setLang] = useStored<Lang>(`signalfire.lang.${user ?? ""}`, "en");
  const t = translator(lang);

  const check = useCallback(() => {
    interface SessionStatus {
      signed_in: boolean;
      username: string | null;
      map_tiles: string | null;
      must_enrol: boolean;
    }
    api<SessionStatus>("/api/auth/session")
      .then((status) => {
        setUser(status.signed_in ? status.username : null);
        setTiles(status.map_tiles);
        setMustEnrol(status.must_enrol);
      })
      .catch(() => setUser(null))
      .finally(() => setChecked(true));
  }, []);
  useEffect(check, [check]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    document.documentElement.lang = lang;
  }, [theme, lang]);

  if (!checked) return null;
  if (!user) return <Login t={t} onDone={check} />;
  if (mustEnrol) return <Enrol t={t} onDone={check} />;
  return (
    <Console
      t={t}
      user={user}
      tiles={tiles}
      lang={lang}
      setLang={setLang}
      theme={theme}
      toggleTheme={() => setTheme(theme === "dark" ? "light" : "dark")}
      onSignOut={() => post("/api/auth/logout", {}).finally(() => setUser(null))}
    />
  );
}

interface ConsoleProps {
  t: Translator;
  user: string;
  tiles: string | null;
  lang: Lang;
  setLang: (lang: Lang) => void;
  theme: Theme;
  toggleTheme: () => void;
  onSignOut: () => void;
}

function Console({ t, user, tiles, lang, setLang, theme, toggleTheme, onSignOut }: ConsoleProps) {
  const live = useLive(true);
  const now = useNow();
  const [natures, setNatures] = useState<Nature[]>([]);
  const [stations, setStations] = useState<Station[]>([]);
  const cameras = useCameras();
  const [selected, setSelected] = useState<number | null>(null);
  const [intake, setIntake] = useState(() => hasDraft());
  const [picked, setPicked] = useState<{ lat: number; lon: number } | null>(null);
  const [help, setHelp] = useState(false);
  const [coverage, setCoverage] = useState(false);
  const [error, setError] = useState("");

  useEffect(() => {
    api<Nature[]>("/api/natures").then(setNatures).catch(() => undefined);
    api<Station[]>("/api/stations").then(setStations).catch(() => undefined);
  }, []);

  const queue = useMemo(
    () =>
      [...live.incidents.values()].sort(
        (a, b) => a.priority - b.priority || a.created_at.localeCompare(b.created_at),
      ),
    [live.incidents],
  );
  const units = useMemo(
    () => [...live.units.values()].sort((a, b) => a.callsign.localeCompare(b.callsign)),
    [live.units],
  );
  const current: Incident | undefined = selected != null ? live.incidents.get(selected) : undefined;
  const onError = useCallback((message: string) => setError(message), []);

  const move = (step: number) => {
    if (!queue.length) return;
    const at = queue.findIndex((i) => i.id === selected);
    const next = at < 0 ? 0 : (at + step + queue.length) % queue.length;
    setSelected(queue[next].id);
  };

  const keys: KeyProps = {
    t,
    move,
    openIntake: () => setIntake(true),
    toggleHelp: () => setHelp((h) => !h),
    toggleTheme,
    toggleCoverage: () => setCoverage((c) => !c),
  };

  return (
    <div className="console">
      <header>
        <strong>Signalfire</strong>
        <span className={live.connected ? "live ok" : "live lost"} role="status">
          {live.connected ? t.connected : t.reconnecting}
        </span>
        <span className="spacer" />
        <label>
          {t.language}{" "}
          <select value={lang} onChange={(e) => setLang(e.target.value as Lang)}>
            {Object.entries(LANGUAGES).map(([code, l]) => (
              <option key={code} value={code}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={coverage} onChange={() => setCoverage(!coverage)} />{" "}
          {t.coverage}
        </label>
        <button type="button" onClick={toggleTheme} aria-label={t.theme}>
          {theme === "dark" ? "☀" : "☾"}
        </button>
        <button type="button" onClick={() => setHelp(!help)} aria-label={t.help}>
          ?
        </button>
        <span>{user}</span>
        <button type="button" onClick={onSignOut}>
          {t.signOut}
        </button>
      </header>
      {error && (
        <p role="alert" className="error banner" onClick={() => setError("")}>
          {error}
        </p>
      )}
      <aside className="queue" aria-label={t.queue}>
        <Alerts
          t={t}
          alerts={[...live.alerts.values()]}
          onPromoted={(incident) => setSelected(incident.id)}
          onError={onError}
        />
        <h2>{t.queue}</h2>
        <table>
          <thead>
            <tr>
              <th>{t.priority}</th>
              <th>#</th>
              <th>{t.nature}</th>
              <th>{t.age}</th>
            </tr>
          </thead>
          <tbody>
            {queue.map((i) => (
              <tr
                key={i.id}
                className={i.id === selected ? "selected" : ""}
                onClick={() => setSelected(i.id)}
                data-incident={i.number}
              >
                <td className={`p${i.priority}`}>{i.priority}</td>
                <td>{i.number}</td>
                <td>
                  {i.nature_code}
                  <br />
                  <small>{i.address}</small>
                </td>
                <td>{formatAge((now - Date.parse(i.created_at)) / 1000)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>{t.units}</h2>
        <ul className="board">
          {units.map((u) => (
            <li key={u.id} data-unit-status={u.callsign}>
              <span className="dot" style={{ background: STATUS_COLOURS[u.status] }} />
              <strong>{u.callsign}</strong> <small>{u.unit_type}</small> {u.status}
            </li>
          ))}
        </ul>
        <Figures t={t} />
      </aside>
      <MapView
        incidents={queue}
        units={units}
        stations={stations}
        cameras={cameras}
        tiles={tiles}
        coverage={coverage}
        selected={selected}
        onPick={(lat, lon) => {
          setIntake(true);
          setPicked({ lat, lon });
        }}
        onSelect={setSelected}
      />
      <section className="side">
        {intake ? (
          <Intake
            t={t}
            natures={natures}
            picked={picked}
            onSaved={(incident) => {
              setIntake(false);
              setPicked(null);
              setSelected(incident.id);
            }}
            onCancel={() => setIntake(false)}
          />
        ) : current ? (
          <IncidentPanel key={current.id} {...keys} incident={current} live={live} onError={onError} />
        ) : (
          <Keys {...keys} />
        )}
      </section>
      {help && <Help t={t} onClose={() => setHelp(false)} />}
    </div>
  );
}

interface KeyProps {
  t: Translator;
  move: (step: number) => void;
  openIntake: () => void;
  toggleHelp: () => void;
  toggleTheme: () => void;
  toggleCoverage: () => void;
  detail?: import("./Detail").DetailActions;
}

function useShortcuts({
  move,
  openIntake,
  toggleHelp,
  toggleTheme,
  toggleCoverage,
  detail,
}: Omit<KeyProps, "t">) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || event.ctrlKey || event.metaKey) {
        return;
      }
      const actions: Record<string, () => void> = {
        n: openIntake,
        j: () => move(1),
        k: () => move(-1),
        "?": toggleHelp,
        t: toggleTheme,
        v: toggleCoverage,
        d: () => void detail?.dispatchRecommended(),
        s: () => void detail?.advanceFirstUnit(),
        c: () => void detail?.close(),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });
}

function Keys(props: KeyProps) {
  useShortcuts(props);
  return <p className="hint">{props.t.selectIncident}</p>;
}

function IncidentPanel(
  props: KeyProps & {
    incident: Incident;
    live: ReturnType<typeof useLive>;
    onError: (message: string) => void;
  },
) {
  const { view, actions } = useDetail({
    t: props.t,
    incident: props.incident,
    units: props.live.units,
    onError: props.onError,
  });
  const guarded = {
    dispatchRecommended: () => actions.dispatchRecommended().catch((e) => props.onError(String(e.message ?? e))),
    advanceFirstUnit: () => actions.advanceFirstUnit().catch((e) => props.onError(String(e.message ?? e))),
    close: () => actions.close().catch((e) => props.onError(String(e.message ?? e))),
  };
  useShortcuts({ ...props, detail: guarded });
  return view;
}

function Help({ t, onClose }: { t: Translator; onClose: () => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="help" role="dialog" aria-modal="true" aria-label={t.help}>
      <h2>{t.help}</h2>
      <dl>
        {Object.entries(t.keys).map(([key, text]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{text}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose} autoFocus>
        OK
      </button>
    </div>
  );
}
