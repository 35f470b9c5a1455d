import { MainspringError } from "./errors.js";
import { currentRun } from "./run-scope.js";

/**
 * Mainspring's memoizing step (not part of Trigger.dev): `step.run(name, fn)` runs `fn` once
 * per run and journals its JSON result; when the run replays after a wait or a retry, the
 * recorded result is returned instead of running `fn` again. Use it for side effects between
 * waits (an LLM call, sending a message). Names must be unique within a run's replay order.
 */
export const step = {
  run<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    const scope = currentRun();
    if (!scope) throw new MainspringError("NOT_IN_RUN", "step.run() can only be used inside a run");
    if (!name) throw new MainspringError("INVALID_OPTIONS", "step.run() needs a name");
    return scope.durable.step(name, fn);
  },
};
