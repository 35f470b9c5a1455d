/**
 * Paces sends to `perSecond` (0: no limit). Each message gets a start time one interval after
 * the previous one's; a sender that fell behind (a slow server, a pause of the event loop) may
 * catch up by at most `burst` messages (a tenth of a second's worth, at least 1), never by the
 * whole backlog. So any one-second window holds at most perSecond + burst starts.
 */
export class Pacer {
  private nextDue = performance.now();
  private readonly burst: number;
  constructor(readonly perSecond: number) {
    this.burst = Math.max(1, Math.floor(perSecond / 10));
  }

  async next(signal?: AbortSignal): Promise<void> {
    if (this.perSecond <= 0) return;
    const interval = 1000 / this.perSecond;
    const now = performance.now();
    const due = Math.max(this.nextDue, now - interval * this.burst);
    this.nextDue = due + interval;
    const wait = due - now;
    if (wait > 0 && !signal?.aborted) await new Promise((r) => setTimeout(r, wait));
  }
}
