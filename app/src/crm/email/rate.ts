/**
 * Paces sends to `perSecond` (0: no limit): the n-th message of a run starts no earlier than
 * start + n / perSecond, so over any stretch from the start the rate never exceeds the limit,
 * and a slow server does not earn a burst afterwards beyond what was already due.
 */
export class Pacer {
  private n = 0;
  private readonly start = performance.now();
  constructor(readonly perSecond: number) {}

  async next(signal?: AbortSignal): Promise<void> {
    const n = this.n++;
    if (this.perSecond <= 0) return;
    const due = this.start + (n * 1000) / this.perSecond;
    const wait = due - performance.now();
    if (wait > 0 && !signal?.aborted) await new Promise((r) => setTimeout(r, wait));
  }
}
