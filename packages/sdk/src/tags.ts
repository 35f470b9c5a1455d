import { MainspringError } from "./errors.js";
import { currentRun } from "./run-scope.js";

/** Trigger.dev's `tags`: `tags.add()` adds tags to the current run (limits as for triggers). */
export const tags = {
  async add(tagOrTags: string | string[]): Promise<void> {
    const scope = currentRun();
    if (!scope) throw new MainspringError("NOT_IN_RUN", "tags.add() can only be called inside a run");
    await scope.addTags(Array.isArray(tagOrTags) ? tagOrTags : [tagOrTags]);
  },
};
