// New incident: address autocomplete from the geocoder (or a click on the map), nature
// search, and the duplicate warning with its reasons before anything is saved.
import { useEffect, useState, type KeyboardEvent } from "react";
import { api, post, type Candidate, type Incident, type Nature, type Place } from "./api";
import type { Translator } from "./i18n";

interface Draft {
  address: string;
  lat: number | null;
  lon: number | null;
  nature: string;
  caller: string;
  summary: string;
}

const EMPTY: Draft = { address: "", lat: null, lon: null, nature: "", caller: "", summary: "" };
const DRAFT_KEY = "signalfire.intake-draft";

export function loadDraft(): Draft {
  try {
    return { ...EMPTY, ...JSON.parse(localStorage.getItem(DRAFT_KEY) ?? "{}") };
  } catch {
    return EMPTY;
  }
}

/** Whether a call was being taken when the page was left. */
export function hasDraft(): boolean {
  return Object.values(loadDraft()).some((value) => value !== "" && value != null);
}

interface Props {
  t: Translator;
  natures: Nature[];
  picked: { lat: number; lon: number } | null;
  onSaved: (incident: Incident) => void;
  onCancel: () => void;
}

export function Intake({ t, natures, picked, onSaved, onCancel }: Props) {
  const [draft, setDraft] = useState<Draft>(loadDraft);
  const [places, setPlaces] = useState<Place[]>([]);
  const [natureQuery, setNatureQuery] = useState("");
  const [duplicates, setDuplicates] = useState<Candidate[] | null>(null);
  const [error, setError] = useState("");

  const change = (patch: Partial<Draft>) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    localStorage.setItem(DRAFT_KEY, JSON.stringify(next));
    setDuplicates(null);
  };

  useEffect(() => {
    if (!picked) return;
    api<Place | null>(`/api/geocode/reverse?lat=${picked.lat}&lon=${picked.lon}`)
      .then((place) => change({ lat: picked.lat, lon: picked.lon, address: place?.label ?? "" }))
      .catch(() => change({ lat: picked.lat, lon: picked.lon }));
  }, [picked]);

  useEffect(() => {
    if (draft.address.length < 3 || draft.lat != null) {
      setPlaces([]);
      return;
    }
    const timer = setTimeout(() => {
      api<Place[]>(`/api/geocode?q=${encodeURIComponent(draft.address)}&limit=5`)
        .then(setPlaces)
        .catch(() => setPlaces([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [draft.address, draft.lat]);

  const choosePlace = (place: Place) => {
    change({ address: place.label, lat: place.lat, lon: place.lon });
    setPlaces([]);
  };
  const q = natureQuery.toLowerCase();
  const matches = q
    ? natures.filter((n) => n.code.toLowerCase().includes(q) || n.name.toLowerCase().includes(q))
    : [];

  const save = async (force: boolean) => {
    setError("");
    try {
      if (!force) {
        const found = await post<Candidate[]>("/api/incidents/duplicate-check", {
          nature_code: draft.nature,
          lat: draft.lat,
          lon: draft.lon,
          caller_number: draft.caller || null,
        });
        if (found.length) {
          setDuplicates(found);
          return;
        }
      }
      const result = await post<{ incident: Incident }>("/api/incidents", {
        nature_code: draft.nature,
        summary: draft.summary,
        location: { lat: draft.lat, lon: draft.lon, address: draft.address || null, source: "geocoded" },
        caller: draft.caller ? { number: draft.caller } : null,
      });
      localStorage.removeItem(DRAFT_KEY);
      onSaved(result.incident);
    } catch (exc) {
      setError(String(exc instanceof Error ? exc.message : exc));
    }
  };

  const onAddressKey = (event: KeyboardEvent) => {
    if (event.key === "Enter" && places.length) {
      event.preventDefault();
      choosePlace(places[0]);
    }
  };
  const onNatureKey = (event: KeyboardEvent) => {
    if (event.key === "Enter" && matches.length) {
      event.preventDefault();
      change({ nature: matches[0].code });
      setNatureQuery("");
    }
  };

  return (
    <section className="intake" aria-label={t.newIncident}>
      <h2>{t.newIncident}</h2>
      <label>
        {t.address}
        <input
          autoFocus
          name="address"
          placeholder={t.addressHint}
          value={draft.address}
          onChange={(e) => change({ address: e.target.value, lat: null, lon: null })}
          onKeyDown={onAddressKey}
          aria-autocomplete="list"
        />
      </label>
      {places.length > 0 && (
        <ul role="listbox" className="choices" aria-label={t.addressHint}>
          {places.map((p) => (
            <li key={`${p.lat},${p.lon}`} role="option" aria-selected="false" onClick={() => choosePlace(p)}>
              {p.label}
            </li>
          ))}
        </ul>
      )}
      <small>{draft.lat != null ? `${draft.lat.toFixed(5)}, ${draft.lon?.toFixed(5)}` : t.pickOnMap}</small>
      <label>
        {t.nature}
        <input
          name="nature"
          placeholder={t.natureHint}
          value={natureQuery || draft.nature}
          onChange={(e) => setNatureQuery(e.target.value)}
          onKeyDown={onNatureKey}
        />
      </label>
      {matches.length > 0 && (
        <ul role="listbox" className="choices" aria-label={t.natureHint}>
          {matches.slice(0, 8).map((n) => (
            <li
              key={n.code}
              role="option"
              aria-selected="false"
              onClick={() => {
                change({ nature: n.code });
                setNatureQuery("");
              }}
            >
              {n.code} — {n.name}
            </li>
          ))}
        </ul>
      )}
      <label>
        {t.callerNumber}
        <input name="caller" value={draft.caller} onChange={(e) => change({ caller: e.target.value })} />
      </label>
      <label>
        {t.summary}
        <textarea name="summary" value={draft.summary} onChange={(e) => change({ summary: e.target.value })} />
      </label>
      {duplicates && (
        <div role="alert" className="duplicates">
          <strong>{t.duplicates}</strong>
          <ul>
            {duplicates.map((d) => (
              <li key={d.incident_id}>
                {d.number} ({Math.round(d.score * 100)}%): {d.reasons.join(", ")}
              </li>
            ))}
          </ul>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="buttons">
        <button
          type="button"
          disabled={!draft.nature || draft.lat == null}
          onClick={() => save(duplicates !== null)}
        >
          {duplicates ? t.saveAnyway : t.save}
        </button>
        <button
          type="button"
          onClick={() => {
            localStorage.removeItem(DRAFT_KEY);
            onCancel();
          }}
        >
          {t.cancel}
        </button>
      </div>
    </section>
  );
}
