import { randomBytes } from "node:crypto";
import type { Queryable } from "@mainspring/engine";
import { errors, jwtVerify, SignJWT } from "jose";

const ISSUER = "mainspring";
const AUDIENCE = "mainspring:public";

export interface PublicTokenClaims {
  /** The key the token was minted under (`key_…`), for audit. */
  sub: string;
  scopes: string[];
  /** Set for `auth.createTriggerPublicToken` tokens that may trigger once. */
  oneTimeUse?: boolean;
  exp: number;
}

/**
 * The server's JWT signing secret: `override` (MAINSPRING_JWT_SECRET), or the one stored in
 * `ms_server_secrets`, created on first use so every process serving one store shares it.
 */
export async function signingSecret(db: Queryable, override?: string): Promise<Uint8Array> {
  if (override) return new TextEncoder().encode(override);
  await db.query(
    "insert into ms_server_secrets (name, value) values ('jwt', $1) on conflict (name) do nothing",
    [randomBytes(32).toString("base64url")],
  );
  const { rows } = await db.query<{ value: string }>(
    "select value from ms_server_secrets where name = 'jwt'",
  );
  return new TextEncoder().encode(rows[0]!.value);
}

/**
 * Mints and verifies public access tokens: HS256 JWTs signed with a per-database secret
 * (`ms_server_secrets`), so any API process on the same store accepts any other's tokens.
 * `MAINSPRING_JWT_SECRET` overrides the stored secret (rotate by changing it).
 */
export class PublicTokens {
  private constructor(private readonly secret: Uint8Array) {}

  static async open(db: Queryable, override?: string): Promise<PublicTokens> {
    return new PublicTokens(await signingSecret(db, override));
  }

  /** `expiresIn`: a jose time span ("15m", "1h"), seconds since the epoch, or a Date. */
  async sign(options: {
    sub: string;
    scopes: string[];
    expiresIn?: string | number | Date;
    oneTimeUse?: boolean;
  }): Promise<string> {
    const jwt = new SignJWT({
      pub: true,
      scopes: options.scopes,
      ...(options.oneTimeUse ? { otu: true } : {}),
    })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(options.sub)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? "15m");
    return jwt.sign(this.secret);
  }

  /** Returns the claims, or why the token was refused ("expired" or "invalid"). */
  async verify(token: string): Promise<PublicTokenClaims | "expired" | "invalid"> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      });
      const scopes = Array.isArray(payload.scopes)
        ? payload.scopes.filter((s): s is string => typeof s === "string")
        : [];
      return {
        sub: String(payload.sub ?? ""),
        scopes,
        oneTimeUse: payload.otu === true,
        exp: payload.exp ?? 0,
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return "expired";
      return "invalid";
    }
  }
}
