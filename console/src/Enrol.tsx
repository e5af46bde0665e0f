// Second-factor enrolment, when the agency requires it for the user's role.
import { useEffect, useState, type FormEvent } from "react";
import { ApiError, post } from "./api";
import type { Translator } from "./i18n";

export function Enrol({ t, onDone }: { t: Translator; onDone: () => void }) {
  const [secret, setSecret] = useState("");
  const [uri, setUri] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState("");

  useEffect(() => {
    post<{ secret: string; provisioning_uri: string }>("/api/auth/totp", {})
      .then((setup) => {
        setSecret(setup.secret);
        setUri(setup.provisioning_uri);
      })
      .catch((exc) => setError(String(exc instanceof Error ? exc.message : exc)));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await post("/api/auth/totp/confirm", { otp: code });
      await post("/api/auth/logout", {});
      onDone();
    } catch (exc) {
      setError(exc instanceof ApiError ? exc.detail : String(exc));
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-label={t.enrol}>
        <h1>{t.enrol}</h1>
        <p>{t.enrolHelp}</p>
        <p>
          <code data-secret={secret}>{secret}</code>
        </p>
        <p>
          <small>{uri}</small>
        </p>
        <label>
          {t.otp}
          <input autoFocus inputMode="numeric" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit">{t.confirm}</button>
      </form>
    </main>
  );
}
