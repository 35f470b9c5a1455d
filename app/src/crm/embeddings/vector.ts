import { CrmError } from "../errors.js";

/** Scales a vector to unit length, so the dot product of two is their cosine similarity. */
export function normalize(v: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (!Number.isFinite(norm) || norm === 0)
    throw new CrmError("EMBEDDING_FAILED", "The model returned a zero vector");
  return Array.from(v, (x) => x / norm);
}

/** pgvector's text form: `[0.1,0.2,...]`. */
export function toPgvector(v: number[]): string {
  return `[${v.join(",")}]`;
}
