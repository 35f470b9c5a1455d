import { startEngine } from "@mainspring/engine";
import { runs, task } from "@mainspring/sdk";

let calls = 0;
const flaky = task({
  id: "flaky",
  retry: { maxAttempts: 3, minTimeoutInMs: 2000, maxTimeoutInMs: 2000, randomize: false },
  run: async () => {
    calls++;
    if (calls === 1) throw new Error("first");
    return "ok";
  },
});
const slowish = task({ id: "slowish", run: async () => "x" });

const engine = await startEngine({
  maintenance: { intervalMs: 100 },
  onError: (e, w) => console.error("ERR", w, e),
});
const done = async (id: string) => {
  for (;;) {
    const r = await runs.retrieve(id);
    if (r.isCompleted) return r;
    await new Promise((r) => setTimeout(r, 50));
  }
};

// 1. TTL vs retry backoff
const h = await flaky.trigger(undefined, { ttl: "1s" });
const r1 = await done(h.id);
console.log("ttl+retry:", r1.status, r1.attemptCount, r1.error?.message);

// 2. non-integer maxDuration
try {
  const h2 = await slowish.trigger(undefined, { maxDuration: 5.5 });
  console.log("maxDuration 5.5:", (await done(h2.id)).status);
} catch (e) {
  console.log("maxDuration 5.5 error:", (e as any).code, (e as Error).message.slice(0, 120));
}
// 3. huge maxDuration
const sleepy = task({
  id: "sleepy",
  run: async () => {
    await new Promise((r) => setTimeout(r, 300));
    return "done";
  },
});
try {
  const h3 = await sleepy.trigger(undefined, { maxDuration: 3_000_000 });
  console.log("maxDuration 3e6:", (await done(h3.id)).status);
} catch (e) {
  console.log("huge error", e);
}
// 4. runs.list non-integer limit
try {
  console.log("limit 2.5:", (await runs.list({ limit: 2.5 })).data.length);
} catch (e) {
  console.log("limit 2.5 error:", (e as Error).message.slice(0, 100));
}
// 5. priority non-int -> validation
try {
  await slowish.trigger(undefined, { priority: 1.5 });
} catch (e) {
  console.log("priority 1.5:", (e as any).code);
}
// 6. no dataDir -> where
console.log("location:", engine.db.location);
// 7. cancel finished run
console.log("cancel finished:", await runs.cancel(h.id));
await engine.stop();
