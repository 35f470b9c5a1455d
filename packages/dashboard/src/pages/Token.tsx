import { type FormEvent, useEffect, useState } from "react";
import { useParams } from "react-router-dom";
import { api } from "../api.js";
import { Code, ErrorNote, Facts, PageHeader, RunLink, Section, StatusBadge, Tags } from "../components/ui.js";
import { formatDate } from "../format.js";
import { useAction, useApi } from "../hooks.js";
import type { RunStatus, WaitTokenInfo } from "../types.js";

interface TokenDetail {
  token: WaitTokenInfo;
  waitingRuns: Array<{ id: string; taskIdentifier: string; status: RunStatus }>;
}

/** One wait token: who waits on it, and completing it by hand with JSON data. */
export function TokenPage() {
  const { tokenId = "" } = useParams();
  const detail = useApi<TokenDetail>(`/api/v1/dashboard/waitpoints/${tokenId}`, 2000);
  const [text, setText] = useState('{\n  "approved": true\n}');
  const [parseError, setParseError] = useState<string>();
  // runs seen waiting stay listed after the token completes (they no longer block on it)
  const [seen, setSeen] = useState<TokenDetail["waitingRuns"]>([]);
  const waiting = detail.data?.waitingRuns ?? [];
  useEffect(() => {
    const waiters = detail.data?.waitingRuns ?? [];
    setSeen((s) => [...s, ...waiters.filter((r) => !s.some((x) => x.id === r.id))]);
  }, [detail.data]);

  const complete = useAction(async (data: unknown) => {
    await api(`/api/v1/waitpoints/tokens/${tokenId}/complete`, { body: { data } });
    detail.reload();
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    try {
      const data = text.trim() === "" ? undefined : JSON.parse(text);
      setParseError(undefined);
      void complete.run(data);
    } catch (error) {
      setParseError((error as Error).message);
    }
  };

  const token = detail.data?.token;
  return (
    <>
      <PageHeader title="Wait token">
        {token ? (
          <span id="token-status" data-status={token.status}>
            <StatusBadge status={token.status} />
          </span>
        ) : null}
      </PageHeader>
      <p className="mono muted subtitle">{tokenId}</p>
      <ErrorNote error={detail.error} />
      {token ? (
        <div className="grid-2">
          <Section title="Details">
            <Facts
              items={{
                Created: formatDate(token.createdAt),
                "Times out": formatDate(token.timeoutAt),
                Completed: formatDate(token.completedAt),
                "Idempotency key": token.idempotencyKey ?? "–",
                Tags: <Tags tags={token.tags} />,
                "Callback URL": <span className="mono small break">{token.url}</span>,
              }}
            />
            <h3>Runs waiting on it</h3>
            {seen.length === 0 ? (
              <p className="muted">No run is waiting on this token.</p>
            ) : (
              <ul className="plain">
                {seen.map((r) => (
                  <li key={r.id}>
                    <RunLink id={r.id} /> {r.taskIdentifier}{" "}
                    {waiting.some((w) => w.id === r.id) ? (
                      <StatusBadge status="WAITING" />
                    ) : (
                      <span className="muted small">resumed</span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          {token.status === "WAITING" ? (
            <Section title="Complete manually">
              <form onSubmit={submit} aria-label="Complete this token">
                <label className="field">
                  <span>Data (JSON; the waiting run receives it as the token's output)</span>
                  <textarea
                    className="code-input"
                    rows={8}
                    value={text}
                    onChange={(e) => setText(e.target.value)}
                    spellCheck={false}
                  />
                </label>
                {parseError ? <p className="error-note">Not valid JSON: {parseError}</p> : null}
                <ErrorNote error={complete.error} />
                <button className="button primary" type="submit" disabled={complete.busy}>
                  Complete token
                </button>
              </form>
            </Section>
          ) : (
            <Section title="Output">
              <Code
                value={token.output}
                label="Token output"
                empty={token.status === "TIMED_OUT" ? "Timed out" : "No data"}
              />
            </Section>
          )}
        </div>
      ) : null}
    </>
  );
}
