import { useState, type FormEvent } from "react";
import { ApiError, post } from "./api";
import type { Translator } from "./i18n";

interface LoginResponse {
  second_factor_enrollment_required: boolean;
}

export function Login({ t, onDone }: { t: Translator; onDone: (username: string) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  const [needOtp, setNeedOtp] = useState(false);
  const [error, setError] = useState("");

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    try {
      await post<LoginResponse>("/api/auth/login", {
        username,
        password,
        ...(needOtp ? { otp } : {}),
      });
      onDone(username);
    } catch (exc) {
      const detail = exc instanceof ApiError ? exc.detail : String(exc);
      if (/second factor|code/i.test(detail) && !needOtp) setNeedOtp(true);
      setError(detail);
    }
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-label={t.signIn}>
        <h1>Signalfire</h1>
        <label>
          {t.username}
          <input autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          {t.password}
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {needOtp && (
          <label>
            {t.otp}
            <input inputMode="numeric" value={otp} onChange={(e) => setOtp(e.target.value)} />
            <small>{t.otpNeeded}</small>
          </label>
        )}
        {error && (
          <p role="alert" className="error">
            {t.signInFailed}: {error}
          </p>
        )}
        <button type="submit">{t.signIn}</button>
      </form>
    </main>
  );
}
