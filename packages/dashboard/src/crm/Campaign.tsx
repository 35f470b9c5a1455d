import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { useParams } from "react-router-dom";
import { api, query } from "../api.js";
import { TimeChart } from "../components/Chart.js";
import { ErrorNote, Facts, RunLink, Section, StatusBadge } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useAction, useApi } from "../hooks.js";
import type { ListedRun, Page } from "../types.js";
import { doneOf } from "./Campaigns.js";
import { type CampaignView, LEDGER_STATES, type LedgerState, type Recipient } from "./types.js";
import { CrmBadge, CrmPage, wsApi } from "./workspace.js";

/** While a campaign sends its view is polled every second; otherwise every few seconds. */
const LIVE_MS = 1000;
const IDLE_MS = 5000;
const KEEP = 300;

/** One campaign: live progress and send rate, its send runs, actions, and its recipients. */
export function CampaignPage() {
  return (
    <CrmPage title="Campaign" listPath="/crm/campaigns">
      {(ws) => <CampaignDetail workspaceId={ws} />}
    </CrmPage>
  );
}

/**
 * The send rate as this page sees it: each poll adds the number of rows finished since the
 * previous one, per second (the ledger keeps states, not their history).
 */
function useSendRate(view: CampaignView | undefined) {
  const [samples, setSamples] = useState<Array<{ t: number; done: number; rate: number | null }>>([]);
  const last = useRef<CampaignView>(undefined);
  useEffect(() => {
    if (!view || view === last.current) return;
    const wasSending = last.current?.campaign.status === "sending";
    last.current = view;
    // sample while sending, and once after (the last messages)
    if (view.campaign.status !== "sending" && !wasSending) return;
    const t = Date.now() / 1000;
    const done = doneOf(view.counts);
    setSamples((s) => {
      const prev = s.at(-1);
      const rate = prev && t > prev.t ? Math.max(0, (done - prev.done) / (t - prev.t)) : null;
      return [...s.slice(-(KEEP - 1)), { t, done, rate: rate === null ? null : Math.round(rate * 10) / 10 }];
    });
  }, [view]);
  return samples;
}

function CampaignDetail({ workspaceId }: { workspaceId: string }) {
  const { campaignId = "" } = useParams();
  const base = wsApi(workspaceId, `/campaigns/${encodeURIComponent(campaignId)}`);
  const [sending, setSending] = useState(false);
  const view = useApi<CampaignView>(base, sending ? LIVE_MS : IDLE_MS);
  const status = view.data?.campaign.status;
  useEffect(() => setSending(status === "sending"), [status]);
  const samples = useSendRate(view.data);
  const runs = useApi<Page<ListedRun>>(
    `/api/v1/runs${query({ "filter[tag]": [`campaign:${campaignId}`], "page[size]": 10 })}`,
    sending ? 2000 : IDLE_MS,
  );
  const [when, setWhen] = useState("");

  const act = useAction(async (action: string, body: unknown = {}) => {
    await api<CampaignView>(`${base}/${action}`, { body });
    view.reload();
    runs.reload();
  });
  const schedule = (e: FormEvent) => {
    e.preventDefault();
    if (!when) return;
    void act.run("schedule", { scheduledFor: new Date(when).toISOString() });
  };

  const data = view.data;
  if (!data) return <ErrorNote error={view.error} />;
  const { campaign, counts } = data;
  const done = doneOf(counts);
  const pct = counts.total ? Math.round((done / counts.total) * 100) : 0;
  const rated = samples.filter((s) => s.rate !== null);
  const latestRate = rated.at(-1)?.rate ?? 0;
  const canSend = campaign.status === "draft" || campaign.status === "scheduled";
  const canPause = campaign.status === "sending" || campaign.status === "awaiting_approval";
  const final = campaign.status === "sent" || campaign.status === "canceled" || campaign.status === "failed";

  return (
    <>
      <ErrorNote error={view.error} />
      <div className="row subtitle">
        <strong>{campaign.name}</strong>
        <span id="campaign-status" data-status={campaign.status} aria-live="polite">
          <CrmBadge status={campaign.status} />
        </span>
        {campaign.statusReason ? <span className="muted small">{campaign.statusReason}</span> : null}
      </div>

      <section className="card" aria-labelledby="actions-heading">
        <h2 id="actions-heading">Actions</h2>
        <div className="row">
          {canSend ? (
            <button
              type="button"
              className="button primary"
              disabled={act.busy}
              onClick={() => act.run("send")}
            >
              Send now
            </button>
          ) : null}
          {canPause ? (
            <button type="button" className="button" disabled={act.busy} onClick={() => act.run("pause")}>
              Pause
            </button>
          ) : null}
          {campaign.status === "paused" ? (
            <button
              type="button"
              className="button primary"
              disabled={act.busy}
              onClick={() => act.run("resume")}
            >
              Resume
            </button>
          ) : null}
          {!final ? (
            <button
              type="button"
              className="button danger"
              disabled={act.busy}
              onClick={() => act.run("cancel")}
            >
              Cancel campaign
            </button>
          ) : null}
        </div>
        {canSend ? (
          <form className="filter-row" onSubmit={schedule} aria-label="Schedule this campaign">
            <label className="field">
              <span>Send at (your time zone)</span>
              <input type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} required />
            </label>
            <button type="submit" className="button" disabled={act.busy || !when}>
              {campaign.status === "scheduled" ? "Move schedule" : "Schedule"}
            </button>
          </form>
        ) : null}
        {final ? <p className="muted">Nothing more to do: the campaign is {campaign.status}.</p> : null}
        <ErrorNote error={act.error} />
      </section>

      <section className="card" aria-labelledby="progress-heading">
        <h2 id="progress-heading">Progress</h2>
        <p>
          <progress
            className="crm-progress"
            id="campaign-progress"
            max={counts.total || 1}
            value={done}
            aria-label={`${done} of ${counts.total} recipients done`}
          />{" "}
          <span aria-live="polite">
            {done} of {counts.total} done ({pct}%)
          </span>
        </p>
        <ul className="stats" aria-label="Recipients by state">
          {(["sent", "pending", "sending", "failed", "suppressed", "skipped", "unknown"] as const).map(
            (s) => (
              <li key={s} className="stat">
                <span className="stat-value" data-count={s}>
                  {counts[s]}
                </span>
                <span className="stat-label">{s}</span>
              </li>
            ),
          )}
        </ul>
        <h3>Send rate</h3>
        {rated.length > 0 ? (
          <TimeChart
            times={rated.map((s) => s.t)}
            series={[{ label: "messages/s", color: "#2563eb", values: rated.map((s) => s.rate) }]}
            summary={`Send rate, sampled every second while sending: now ${latestRate} messages per second`}
            height={180}
            bars
          />
        ) : (
          <p className="muted">
            {campaign.status === "sending"
              ? "Sampling…"
              : "Charted live while the campaign sends (open this page during a send)."}
          </p>
        )}
      </section>

      <div className="grid-2">
        <Section title="Details">
          <Facts
            items={{
              Subject: campaign.subject,
              Audience: campaign.audience.replaceAll("_", " "),
              From: campaign.fromAddress ?? "default",
              "Scheduled for": campaign.scheduledFor
                ? `${formatDate(campaign.scheduledFor)} (${relative(campaign.scheduledFor)})`
                : "–",
              "Audience fixed": formatDate(campaign.materializedAt),
              Resumes: campaign.resumes,
            }}
          />
          <details>
            <summary>Body template</summary>
            <pre className="code">{campaign.body}</pre>
          </details>
        </Section>
        <Section title="Send runs">
          <ErrorNote error={runs.error} />
          {runs.data?.data.length ? (
            <ul className="plain">
              {runs.data.data.map((r) => (
                <li key={r.id} data-run-id={r.id}>
                  <RunLink id={r.id} /> <span className="small">{r.taskIdentifier}</span>{" "}
                  <StatusBadge status={r.status} />{" "}
                  <span className="muted small">{relative(r.createdAt)}</span>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No run yet.</p>
          )}
          <p className="muted small">A send run's page shows its progress stream live.</p>
        </Section>
      </div>

      <Recipients
        base={base}
        hasUnknown={counts.unknown > 0}
        version={`${counts.total}:${done}:${counts.unknown}`}
        onChange={view.reload}
      />
    </>
  );
}

function Recipients({
  base,
  hasUnknown,
  version,
  onChange,
}: {
  base: string;
  hasUnknown: boolean;
  /** Changes with the campaign's counts: the list is fetched again. */
  version: string;
  onChange: () => void;
}) {
  const [state, setState] = useState<LedgerState | "">(hasUnknown ? "unknown" : "");
  const path = `${base}/recipients${query({ state: state || undefined, limit: 100 })}`;
  const list = useApi<{ data: Recipient[]; next: string | null }>(path);
  const { reload } = list;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reason to fetch again
  useEffect(() => reload(), [version, reload]);
  const resolve = useAction(async (id: string, decision: "sent" | "failed" | "resend") => {
    await api(`${base}/recipients/${encodeURIComponent(id)}/resolve`, { body: { decision } });
    list.reload();
    onChange();
  });
  const rows = useMemo(() => list.data?.data ?? [], [list.data]);
  return (
    <Section title="Recipients">
      {hasUnknown ? (
        <p className="error-note" role="status">
          Some messages have an unknown outcome (the connection died after the server had the message). Check
          the server's logs and mark each sent or failed, or send it again.
        </p>
      ) : null}
      <div className="filter-row">
        <label className="field">
          <span>State</span>
          <select value={state} onChange={(e) => setState(e.target.value as LedgerState | "")}>
            <option value="">Any state</option>
            {LEDGER_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={list.error ?? resolve.error} />
      <div className="table-wrap">
        <table className="table">
          <caption className="sr-only">Recipients{state ? ` in state ${state}` : ""} (first 100)</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">State</th>
              <th scope="col" className="hide-sm">
                Detail
              </th>
              <th scope="col" className="hide-sm">
                Tries
              </th>
              <th scope="col" className="actions">
                Resolve
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-recipient-id={r.id}>
                <td className="break">{r.email}</td>
                <td>
                  <CrmBadge status={r.state} />
                </td>
                <td className="hide-sm small">{r.detail ?? "–"}</td>
                <td className="hide-sm">{r.tries}</td>
                <td className="actions">
                  {r.state === "unknown" ? (
                    <span className="row">
                      {(["sent", "failed", "resend"] as const).map((d) => (
                        <button
                          key={d}
                          type="button"
                          className="button small"
                          disabled={resolve.busy}
                          aria-label={`${d === "resend" ? "Send again to" : `Mark ${d}:`} ${r.email}`}
                          onClick={() => resolve.run(r.id, d)}
                        >
                          {d === "resend" ? "Send again" : `Mark ${d}`}
                        </button>
                      ))}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
            {list.data && rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No recipients{state ? ` in state ${state}` : ""}.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
