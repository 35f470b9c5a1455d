import { CrmInputError } from "../errors.js";

/**
 * Mail templates: `{{name}}` inserts a variable, `{{name|there}}` with a default when the
 * variable is missing or blank. A variable without a default is required: a recipient who
 * lacks it is skipped with the reason, never sent a mail with a hole in it. Names are
 * letters, digits and `_`; anything else between `{{` and `}}`, or an unclosed `{{`, is
 * INVALID_TEMPLATE, reported before anything is sent.
 */
export type TemplatePart = string | { name: string; fallback?: string };

const TAG = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*))?\}\}/y;

export function parseTemplate(source: string, what = "template"): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let i = 0;
  let text = "";
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open === -1) {
      text += source.slice(i);
      break;
    }
    text += source.slice(i, open);
    TAG.lastIndex = open;
    const m = TAG.exec(source);
    if (!m) {
      const snippet = source.slice(open, open + 30);
      throw new CrmInputError(
        "INVALID_TEMPLATE",
        `Malformed ${what} at character ${open}: "${snippet}" (expected {{variable}} or {{variable|default}})`,
      );
    }
    if (text) parts.push(text);
    text = "";
    parts.push(m[2] === undefined ? { name: m[1]! } : { name: m[1]!, fallback: m[2].trim() });
    i = open + m[0].length;
  }
  if (text) parts.push(text);
  return parts;
}

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

export function renderTemplate(parts: TemplatePart[], vars: Record<string, unknown>): RenderResult {
  let text = "";
  const missing: string[] = [];
  for (const part of parts) {
    if (typeof part === "string") {
      text += part;
      continue;
    }
    const raw = vars[part.name];
    const value = raw === null || raw === undefined ? "" : String(raw).trim();
    if (value) text += value;
    else if (part.fallback !== undefined) text += part.fallback;
    else if (!missing.includes(part.name)) missing.push(part.name);
  }
  return missing.length ? { ok: false, missing } : { ok: true, text };
}

/** Template variables of a recipient: what the audience query snapshots on the ledger row. */
export function recipientVars(r: {
  firstName?: string | null;
  lastName?: string | null;
  email: string;
  company?: string | null;
  jobTitle?: string | null;
}): Record<string, string | null> {
  const name = [r.firstName, r.lastName].filter((s) => s?.trim()).join(" ") || null;
  return {
    name,
    first_name: r.firstName?.trim() || null,
    last_name: r.lastName?.trim() || null,
    email: r.email,
    company: r.company?.trim() || null,
    job_title: r.jobTitle?.trim() || null,
  };
}
