import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Queryable } from "./store/db.js";

/**
 * HMAC signatures for URLs that are their own credential: wait token callback URLs and
 * payload upload URLs. `purpose` keeps a signature for one kind of URL useless for another.
 */
export class UrlSigner {
  constructor(private readonly secret: string) {}

  sign(purpose: string, id: string): string {
    return createHmac("sha256", this.secret).update(`${purpose}:${id}`).digest("base64url");
  }

  verify(purpose: string, id: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(purpose, id));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

/**
 * The store's URL-signing secret (`ms_server_secrets`, created on first use), so every process
 * on one store, worker or API, signs and verifies the same way.
 */
export async function openUrlSigner(db: Queryable, override?: string): Promise<UrlSigner> {
  if (override) return new UrlSigner(`url:${override}`);
  await db.query(
    "insert into ms_server_secrets (name, value) values ('url', $1) on conflict (name) do nothing",
    [randomBytes(32).toString("base64url")],
  );
  const { rows } = await db.query<{ value: string }>(
    "select value from ms_server_secrets where name = 'url'",
  );
  return new UrlSigner(rows[0]!.value);
}
