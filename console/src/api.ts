// The console talks to the API of the server that serves it, with the session cookie.
export interface Incident {
  id: number;
  number: string;
  status: string;
  nature_code: string;
  priority: number;
  summary: string;
  lat: number | null;
  lon: number | null;
  address: string | null;
  created_at: string;
  version: number;
}

export interface Unit {
  id: number;
  callsign: string;
  unit_type: string;
  status: string;
  lat: number | null;
  lon: number | null;
  agency_id: number;
  version: number;
}

export interface Alert {
  id: number;
  source: string;
  source_ref: string;
  kind: string;
  title: string;
  address: string | null;
  lat: number | null;
  lon: number | null;
  occurred_at: string;
  status: string;
  suggested_nature: string | null;
}

export interface Camera {
  id: number;
  name: string;
  lat: number;
  lon: number;
  heading_deg: number;
  fov_deg: number;
  enabled: boolean;
  health: { state: string; last_frame_at: string | null; last_error: string | null };
}

export interface Station {
  id: number;
  code: string;
  name: string;
  lat: number;
  lon: number;
}

export interface Nature {
  code: string;
  name: string;
  priority: number;
}

export interface Place {
  label: string;
  lat: number;
  lon: number;
  confidence: number;
}

export interface Candidate {
  incident_id: number;
  number: string;
  score: number;
  distance_m: number | null;
  minutes_apart: number;
  reasons: string[];
}

export interface UnitOption {
  unit_id: number;
  callsign: string;
  unit_type: string;
  eta_s: number | null;
  road_m: number | null;
  reason: string;
}

export interface Recommendation {
  plan_name: string;
  requirements: {
    requirement: { unit_type: string | null; count: number };
    proposed: UnitOption[];
    short_by: number;
  }[];
}

export interface TimelineStep {
  kind: string;
  at: string;
  data?: Record<string, unknown>;
}

export interface Assignment {
  unit_id: number;
  assigned_at: string;
  ended_at: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(path, {
    ...init,
    credentials: "same-origin",
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = body.detail ?? JSON.stringify(body.errors ?? body);
    } catch {
      // keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
}

export const post = <T>(path: string, body: unknown): Promise<T> =>
  api<T>(path, { method: "POST", body: JSON.stringify(body) });
