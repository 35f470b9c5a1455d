/** Small numeric and timing helpers shared by the engine benchmark. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an unsorted sample. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const round = (value: number, digits = 2) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null;

/** Resolves when `check()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs: number,
  everyMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Races a promise against a timeout with a readable error. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What every handler calls first thing: `probe.started(i)`. It counts distinct job ids for the
 * throughput phase and timestamps the one job the latency phase is waiting for.
 */
export class Probe {
  private seen = new Uint8Array(0);
  private count = 0;
  private target = 0;
  private onAll: (() => void) | undefined;
  private waiting = new Map<number, (at: number) => void>();
  duplicates = 0;

  /** Starts counting ids 0..n-1; the promise resolves when each has started once. */
  expectAll(n: number): Promise<void> {
    this.seen = new Uint8Array(n);
    this.count = 0;
    this.target = n;
    this.duplicates = 0;
    return new Promise<void>((resolve) => {
      this.onAll = resolve;
      if (n === 0) resolve();
    });
  }

  get started(): number {
    return this.count;
  }

  /** Resolves with the `performance.now()` at which job `id`'s handler began. */
  expectOne(id: number): Promise<number> {
    return new Promise<number>((resolve) => this.waiting.set(id, resolve));
  }

  hit(id: number): void {
    const at = performance.now();
    const waiter = this.waiting.get(id);
    if (waiter) {
      this.waiting.delete(id);
      waiter(at);
      return;
    }
    if (id < this.target) {
      if (this.seen[id]) {
        this.duplicates++;
        return;
      }
      this.seen[id] = 1;
      if (++this.count === this.target) this.onAll?.();
    }
  }

  reset(): void {
    this.waiting.clear();
    this.target = 0;
    this.onAll = undefined;
  }
}

export const probe = new Probe();
