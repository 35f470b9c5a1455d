import { type FormEvent, useEffect, useState } from "react";
import { Navigate, useSearchParams } from "react-router-dom";
import { api, getSession, type Session, setSession } from "../api.js";
import { ErrorNote } from "../components/ui.js";

/** Log in with the dashboard password (when configured) or a secret key. */
export function LoginPage() {
  const [params] = useSearchParams();
  const [methods, setMethods] = useState<{ password: boolean }>();
  const [mode, setMode] = useState<"password" | "key">("key");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(getSession() !== undefined);

  useEffect(() => {
    api<{ password: boolean }>("/api/v1/dashboard/login")
      .then((m) => {
        setMethods(m);
        if (m.password) setMode("password");
      })
      .catch(setError);
  }, []);

  const next = params.get("next");
  if (done) return <Navigate to={next?.startsWith("/") ? next : "/"} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const session = await api<Session>("/api/v1/dashboard/login", {
        body: mode === "password" ? { password: secret } : { key: secret.trim() },
      });
      setSession(session);
      setDone(true);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" /> Mainspring
        </div>
        <h1 id="login-title">Log in to the dashboard</h1>
        {methods?.password ? (
          <fieldset className="segmented">
            <legend className="sr-only">Log in with</legend>
            <label>
              <input
                type="radio"
                name="mode"
                checked={mode === "password"}
                onChange={() => setMode("password")}
              />
              Password
            </label>
            <label>
              <input type="radio" name="mode" checked={mode === "key"} onChange={() => setMode("key")} />
              Secret key
            </label>
          </fieldset>
        ) : null}
        <label className="field">
          <span>{mode === "password" ? "Dashboard password" : "Secret key"}</span>
          <input
            name={mode}
            type="password"
            autoComplete={mode === "password" ? "current-password" : "off"}
            placeholder={mode === "key" ? "tr_dev_sk_…" : undefined}
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            required
            // biome-ignore lint/a11y/noAutofocus: the only thing to do on this page
            autoFocus
          />
        </label>
        <ErrorNote error={error} />
        <button className="button primary" type="submit" disabled={busy || secret === ""}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          {mode === "key"
            ? "`npm start` prints a development key on first start; `mainspring keys create` makes more."
            : "Set with MAINSPRING_DASHBOARD_PASSWORD."}
        </p>
      </form>
    </main>
  );
}
