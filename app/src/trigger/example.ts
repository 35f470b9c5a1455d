import { logger, metadata, task } from "@mainspring/sdk";

/** The smallest useful task: `npm run mainspring -- trigger hello-world --payload '{"name":"Ada"}' --wait`. */
export const helloWorldTask = task({
  id: "hello-world",
  run: async (payload: { name?: string }, { ctx }) => {
    logger.info("Saying hello", { name: payload.name ?? "world", attempt: ctx.attempt.number });
    metadata.set("greeted", payload.name ?? "world");
    return { message: `Hello, ${payload.name ?? "world"}!` };
  },
});
