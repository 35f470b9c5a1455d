import { type FormEvent, useEffect, useMemo, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { api } from "../api.js";
import { Code, ErrorNote, PageHeader, Section } from "../components/ui.js";
import { useAction, useApi, useDebounced } from "../hooks.js";
import type { TaskInfo } from "../types.js";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** A starting payload from a JSON Schema: defaults, examples, or an empty value of each type. */
export function examplePayload(schema: JsonSchema | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return {};
  if (schema.default !== undefined) return schema.default;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) return examplePayload(schema.anyOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object":
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([key]) => schema.required?.includes(key) ?? true)
          .map(([key, value]) => [key, examplePayload(value, depth + 1)]),
      );
    case "array":
      return [];
    case "string":
      return "";
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return {};
  }
}

interface Validation {
  ok: boolean;
  error?: string;
  issues?: Array<{ path: Array<string | number>; message: string }>;
}

/** Trigger any task with a JSON payload (checked by its schema when it has one) and options. */
export function TestPage() {
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const tasks = useApi<{ data: TaskInfo[] }>("/api/v1/dashboard/tasks");
  const taskId = params.get("task") ?? "";
  const task = tasks.data?.data.find((t) => t.id === taskId);
  const [text, setText] = useState("{}");
  const [tags, setTags] = useState("");
  const [queue, setQueue] = useState("");
  const [delay, setDelay] = useState("");
  const [idempotencyKey, setIdempotencyKey] = useState("");
  const [concurrencyKey, setConcurrencyKey] = useState("");
  const [validation, setValidation] = useState<Validation>();

  // A newly picked task starts from a payload its schema would accept: set while rendering the
  // first time the task is known (not in an effect, which would land after the first paint and
  // overwrite what someone typed meanwhile), and only once per task, not on every refetch.
  const [startedFor, setStartedFor] = useState<string>();
  if (task && startedFor !== task.id) {
    setStartedFor(task.id);
    setText(JSON.stringify(examplePayload(task.payloadSchema as JsonSchema | undefined), null, 2));
  }

  const parsed = useMemo((): { value?: unknown; error?: string } => {
    try {
      return { value: JSON.parse(text) };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }, [text]);

  // the task's own schema judges the payload (refinements included), as typing pauses
  const checked = useDebounced(text, 250);
  useEffect(() => {
    setValidation(undefined);
    if (!task?.hasSchema) return;
    let value: unknown;
    try {
      value = JSON.parse(checked);
    } catch {
      return;
    }
    const controller = new AbortController();
    api<Validation>(`/api/v1/dashboard/tasks/${encodeURIComponent(task.id)}/validate`, {
      body: { payload: value },
      signal: controller.signal,
    })
      .then(setValidation)
      .catch(() => undefined);
    return () => controller.abort();
  }, [checked, task]);

  const trigger = useAction(async () => {
    const options: Record<string, unknown> = { payloadType: "application/json" };
    const tagList = tags
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
    if (tagList.length) options.tags = tagList;
    if (queue.trim()) options.queue = { name: queue.trim() };
    if (delay.trim()) options.delay = delay.trim();
    if (idempotencyKey.trim()) options.idempotencyKey = idempotencyKey.trim();
    if (concurrencyKey.trim()) options.concurrencyKey = concurrencyKey.trim();
    const handle = await api<{ id: string; isCached: boolean }>(
      `/api/v1/tasks/${encodeURIComponent(taskId)}/trigger`,
      {
        body: { payload: JSON.stringify(parsed.value), options },
      },
    );
    navigate(`/runs/${handle.id}`);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (parsed.error === undefined) void trigger.run();
  };
  const invalid = parsed.error !== undefined || validation?.ok === false;

  return (
    <>
      <PageHeader title="Test a task" />
      <form className="grid-2 test-form" onSubmit={submit} aria-label="Trigger a task">
        <div className="card stack">
          <label className="field">
            <span>Task</span>
            <select
              name="task"
              value={taskId}
              onChange={(e) => setParams(e.target.value ? { task: e.target.value } : {}, { replace: true })}
              required
            >
              <option value="">Choose a task…</option>
              {tasks.data?.data.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.id}
                  {t.hasSchema ? " (schema)" : ""}
                </option>
              ))}
            </select>
          </label>
          {task?.description ? <p className="muted">{task.description}</p> : null}
          <label className="field">
            <span>Payload (JSON)</span>
            <textarea
              name="payload"
              className="code-input"
              rows={14}
              spellCheck={false}
              value={text}
              onChange={(e) => setText(e.target.value)}
              aria-invalid={invalid}
              aria-describedby="payload-check"
            />
          </label>
          <div id="payload-check" aria-live="polite">
            {parsed.error ? (
              <p className="error-note">Not valid JSON: {parsed.error}</p>
            ) : validation?.ok === false ? (
              <div className="error-note">
                <strong>The task's schema refuses this payload:</strong>
                <ul>
                  {(validation.issues ?? []).map((issue) => (
                    <li key={`${issue.path.join(".")}:${issue.message}`}>
                      <span className="mono">{issue.path.join(".") || "(payload)"}</span>: {issue.message}
                    </li>
                  ))}
                </ul>
              </div>
            ) : validation?.ok ? (
              <p className="ok-note">Matches the task's schema.</p>
            ) : null}
          </div>
        </div>
        <div className="card stack">
          <h2>Options</h2>
          <label className="field">
            <span>Tags (comma-separated)</span>
            <input
              name="tags"
              value={tags}
              onChange={(e) => setTags(e.target.value)}
              placeholder="workspace:w_1"
            />
          </label>
          <label className="field">
            <span>Queue (default: {task?.queue ?? "the task's"})</span>
            <input name="queue" value={queue} onChange={(e) => setQueue(e.target.value)} />
          </label>
          <label className="field">
            <span>Concurrency key</span>
            <input
              name="concurrencyKey"
              value={concurrencyKey}
              onChange={(e) => setConcurrencyKey(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Delay (e.g. 30s, 10m, or an ISO date)</span>
            <input name="delay" value={delay} onChange={(e) => setDelay(e.target.value)} />
          </label>
          <label className="field">
            <span>Idempotency key</span>
            <input
              name="idempotencyKey"
              value={idempotencyKey}
              onChange={(e) => setIdempotencyKey(e.target.value)}
            />
          </label>
          <ErrorNote error={trigger.error} />
          <button className="button primary" type="submit" disabled={!taskId || invalid || trigger.busy}>
            {trigger.busy ? "Triggering…" : "Trigger run"}
          </button>
          {task?.payloadSchema ? (
            <details>
              <summary>Payload schema</summary>
              <Code value={task.payloadSchema} label="Payload JSON Schema" />
            </details>
          ) : null}
        </div>
      </form>
      {tasks.data?.data.length === 0 ? (
        <Section title="No tasks">
          <p>This server knows no tasks: check `dirs` in mainspring.config.ts.</p>
        </Section>
      ) : null}
    </>
  );
}
