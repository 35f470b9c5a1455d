import { createHmac, timingSafeEqual } from "node:crypto";

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
