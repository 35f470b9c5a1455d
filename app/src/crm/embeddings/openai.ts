import { z } from "zod";
import { CrmError } from "../errors.js";
import type { EmbeddingProvider } from "./provider.js";
import { normalize } from "./vector.js";

const responseSchema = z.object({
  data: z.array(z.object({ index: z.number().int().min(0), embedding: z.array(z.number()) })),
});

/** Inputs per request; OpenAI accepts up to 2,048, local servers often fewer. */
const BATCH = 64;

/**
 * Any OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM, LM Studio...). A failed
 * request throws EMBEDDING_FAILED; the task's retries (with backoff) then try again.
 */
export function openAiCompatibleProvider(options: {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
}): EmbeddingProvider {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/embeddings`;
  return {
    model: `openai-compatible:${options.model}`,
    async embed(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const input = texts.slice(i, i + BATCH);
        let response: Response;
        try {
          response = await fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
            },
            body: JSON.stringify({ model: options.model, input }),
            signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
          });
        } catch (error) {
          throw new CrmError("EMBEDDING_FAILED", `Embeddings request to ${url} failed: ${String(error)}`);
        }
        if (!response.ok) {
          const body = (await response.text().catch(() => "")).slice(0, 300);
          throw new CrmError(
            "EMBEDDING_FAILED",
            `Embeddings endpoint ${url} answered ${response.status}: ${body}`,
          );
        }
        const parsed = responseSchema.safeParse(await response.json().catch(() => undefined));
        if (!parsed.success || parsed.data.data.length !== input.length) {
          throw new CrmError(
            "EMBEDDING_FAILED",
            `Embeddings endpoint ${url} returned an unexpected body (expected ${input.length} embeddings)`,
          );
        }
        const ordered = [...parsed.data.data].sort((a, b) => a.index - b.index);
        for (const d of ordered) out.push(normalize(d.embedding));
      }
      return out;
    },
  };
}
