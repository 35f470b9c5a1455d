import { CrmInputError } from "../crm/errors.js";
import type { CrmDb } from "../db/store.js";

type Print = (value: unknown, human: () => string) => void;

/**
 * `npm run crm -- mail list [--workspace W] [--limit N]`: the local mailbox, newest first.
 * `npm run crm -- mail show <id | Message-ID>`: one message as sent (RFC 5322 text).
 * `npm run crm -- campaigns --workspace W`: campaigns with status and ledger counts.
 * `npm run crm -- campaign <id>`: one campaign, its counts, and the rows with an unknown outcome.
 */
export async function mailCommand(
  db: CrmDb,
  command: string,
  args: string[],
  opts: { workspaceId?: string; limit?: number },
  print: Print,
): Promise<void> {
  if (command === "mail") {
    const [sub, ref] = args;
    if (sub === "list") {
      const { rows } = await db.query<{
        id: string;
        created_at: Date;
        to_address: string;
        subject: string;
        message_id: string;
      }>(
        `select m.id::text as id, created_at, to_address, subject, message_id from crm_mailbox m
         where ($1::text is null or workspace_id = $1) order by m.id desc limit $2`,
        [opts.workspaceId ?? null, opts.limit ?? 20],
      );
      print(rows, () =>
        rows.length === 0
          ? "The local mailbox is empty (with SMTP_URL set, mail goes to the SMTP server instead)."
          : rows
              .map(
                (m) =>
                  `${m.id.padStart(6)}  ${new Date(m.created_at).toISOString()}  ${m.to_address.padEnd(30)} ${m.subject}`,
              )
              .join("\n"),
      );
      return;
    }
    if (sub === "show" && ref) {
      const { rows } = await db.query<{ raw: string; message_id: string }>(
        "select raw, message_id from crm_mailbox where id::text = $1 or message_id = $1 or message_id = '<' || $1 || '>'",
        [ref],
      );
      if (!rows[0]) throw new CrmInputError("INVALID_INPUT", `No message "${ref}" in the local mailbox`);
      print(rows[0], () => rows[0]!.raw);
      return;
    }
    throw new CrmInputError(
      "INVALID_INPUT",
      "usage: npm run crm -- mail list [--workspace W] | mail show <id|message-id>",
    );
  }
  if (command === "campaigns") {
    const { rows } = await db.query<{
      id: string;
      name: string;
      status: string;
      audience: string;
      stats: Record<string, number>;
    }>(
      `select id, name, status, audience, stats from crm_campaigns where ($1::text is null or workspace_id = $1)
       order by created_at desc limit $2`,
      [opts.workspaceId ?? null, opts.limit ?? 20],
    );
    print(
      rows,
      () =>
        rows
          .map(
            (c) =>
              `${c.id}  ${c.status.padEnd(17)} ${c.audience.padEnd(15)} ${c.name}  ` +
              `sent ${c.stats.sent ?? 0}/${c.stats.total ?? "?"}, suppressed ${c.stats.suppressed ?? 0}, failed ${c.stats.failed ?? 0}, unknown ${c.stats.unknown ?? 0}`,
          )
          .join("\n") || "No campaigns.",
    );
    return;
  }
  // campaign <id>
  const [id] = args;
  if (!id) throw new CrmInputError("INVALID_INPUT", "usage: npm run crm -- campaign <id>");
  const { rows } = await db.query<{ id: string; name: string; status: string; status_reason: string | null }>(
    "select id, name, status, status_reason from crm_campaigns where id = $1",
    [id],
  );
  if (!rows[0]) throw new CrmInputError("CAMPAIGN_NOT_FOUND", `No campaign "${id}"`);
  const counts = await db.query<{ state: string; n: number }>(
    "select state, count(*)::int as n from crm_send_ledger where campaign_id = $1 group by state order by state",
    [id],
  );
  const unknown = await db.query<{ email: string; message_id: string; detail: string }>(
    "select email, message_id, detail from crm_send_ledger where campaign_id = $1 and state = 'unknown' order by id limit 100",
    [id],
  );
  const out = {
    ...rows[0],
    counts: Object.fromEntries(counts.rows.map((r) => [r.state, r.n])),
    unknown: unknown.rows,
  };
  print(out, () =>
    [
      `${out.id}  ${out.name}: ${out.status}${out.status_reason ? ` (${out.status_reason})` : ""}`,
      `  ${counts.rows.map((r) => `${r.state} ${r.n}`).join(", ") || "no recipients listed yet"}`,
      ...(unknown.rows.length
        ? [
            "  outcome unknown (handed to the SMTP server when a sender died; never sent again):",
            ...unknown.rows.map((u) => `    ${u.email}  ${u.message_id}`),
          ]
        : []),
    ].join("\n"),
  );
}
