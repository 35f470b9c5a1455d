import { Link, useParams } from "react-router-dom";
import { ErrorNote, Section } from "../components/ui.js";
import { formatDate, relative } from "../format.js";
import { useApi } from "../hooks.js";
import type { MailboxMessage, MailboxRow } from "./types.js";
import { CrmPage, wsApi, wsLink } from "./workspace.js";

/** The local mailbox: what the default transport delivered (no SMTP_URL), newest first. */
export function MailboxPage() {
  return (
    <CrmPage title="Mailbox" listPath="/crm/mailbox">
      {(ws) => <Mailbox workspaceId={ws} />}
    </CrmPage>
  );
}

function Mailbox({ workspaceId }: { workspaceId: string }) {
  const list = useApi<{ data: MailboxRow[] }>(wsApi(workspaceId, "/mailbox?limit=100"), 5000);
  const rows = list.data?.data ?? [];
  return (
    <>
      <p className="muted subtitle">
        Messages the CRM sent while no SMTP server is configured (SMTP_URL) are kept here instead.
      </p>
      <ErrorNote error={list.error} />
      <div className="table-wrap card flush">
        <table className="table" aria-busy={list.loading && !list.data}>
          <caption className="sr-only">Messages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">To</th>
              <th scope="col">Sent</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id} data-message-id={m.id}>
                <td>
                  <Link to={wsLink(`/crm/mailbox/${encodeURIComponent(m.id)}`, workspaceId)}>
                    {m.subject || "(no subject)"}
                  </Link>
                </td>
                <td className="break">{m.to}</td>
                <td title={formatDate(m.createdAt)}>{relative(m.createdAt)}</td>
              </tr>
            ))}
            {list.data && rows.length === 0 ? (
              <tr>
                <td colSpan={3} className="empty">
                  The mailbox is empty.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** One message as sent: its headers (unfolded) and its body, shown as text (never as HTML). */
export function MessagePage() {
  return (
    <CrmPage title="Message" listPath="/crm/mailbox">
      {(ws) => <Message workspaceId={ws} />}
    </CrmPage>
  );
}

function Message({ workspaceId }: { workspaceId: string }) {
  const { messageId = "" } = useParams();
  const msg = useApi<MailboxMessage>(wsApi(workspaceId, `/mailbox/${encodeURIComponent(messageId)}`));
  const data = msg.data;
  if (!data) return <ErrorNote error={msg.error} />;
  return (
    <>
      <p className="subtitle">
        <strong>{data.message.subject || "(no subject)"}</strong>{" "}
        <span className="muted small">
          to {data.message.to}, {formatDate(data.message.createdAt)}
        </span>
      </p>
      <Section title="Headers">
        <div className="table-wrap">
          <table className="table crm-table" id="message-headers">
            <caption className="sr-only">Message headers, in order</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              {data.headers.map((h, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a header may repeat (Received); the order is fixed
                <tr key={`${h.name}-${i}`} data-header={h.name}>
                  <th scope="row" className="mono small">
                    {h.name}
                  </th>
                  <td className="mono small break">{h.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Body">
        <pre className="code" id="message-body">
          {data.body}
        </pre>
      </Section>
      <details className="card">
        <summary>Raw message</summary>
        <pre className="code">{data.message.raw}</pre>
      </details>
    </>
  );
}
