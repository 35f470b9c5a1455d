import { useEffect, useRef, useState } from "react";
import type { QueueInfo } from "../types.js";
import { TimeChart } from "./Chart.js";

const KEEP = 180;

/**
 * Queue depth over time as sampled by this page (the store keeps counters, not their history):
 * each poll of the queues adds one point of total queued, running and waiting runs.
 */
export function useDepthHistory(queues: QueueInfo[] | undefined) {
  const [samples, setSamples] = useState<
    Array<{ t: number; queued: number; running: number; waiting: number }>
  >([]);
  const last = useRef<QueueInfo[]>(undefined);
  useEffect(() => {
    if (!queues || queues === last.current) return;
    last.current = queues;
    const sum = (f: (q: QueueInfo) => number) => queues.reduce((n, q) => n + f(q), 0);
    setSamples((s) => [
      ...s.slice(-(KEEP - 1)),
      {
        t: Date.now() / 1000,
        queued: sum((q) => q.queued),
        running: sum((q) => q.running),
        waiting: sum((q) => q.waiting),
      },
    ]);
  }, [queues]);
  return samples;
}

export function QueueDepthChart({ queues }: { queues: QueueInfo[] | undefined }) {
  const samples = useDepthHistory(queues);
  const latest = samples.at(-1);
  if (samples.length < 2) return <p className="muted">Sampling…</p>;
  return (
    <TimeChart
      times={samples.map((s) => s.t)}
      series={[
        { label: "queued", color: "#8b5cf6", values: samples.map((s) => s.queued) },
        { label: "running", color: "#2563eb", values: samples.map((s) => s.running) },
        { label: "waiting", color: "#d97706", values: samples.map((s) => s.waiting) },
      ]}
      summary={`Queue depth now: ${latest?.queued ?? 0} queued, ${latest?.running ?? 0} running, ${latest?.waiting ?? 0} waiting`}
      height={180}
    />
  );
}
