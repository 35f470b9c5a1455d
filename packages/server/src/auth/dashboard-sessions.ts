import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Queryable } from "@mainspring/engine";
import { jwtVerify, SignJWT } from "jose";
import { signingSecret } from "./public-tokens.js";

const ISSUER = "mainspring";
/** Not the public tokens' audience: a session is never accepted as a public token, nor the reverse. */
const AUDIENCE = "mainspring:dashboard";
/** How long a dashboard login lasts. */
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

export interface DashboardSession {
  /** `password`, or the id of the secret key that logged in (`key_…`). */
  sub: string;
  exp: number;
}

/**
 * Dashboard logins: a secret key or the configured password (MAINSPRING_DASHBOARD_PASSWORD)
 * is exchanged for a session, an HS256 JWT signed with the server's secret like public access
 * tokens but with its own audience, sent back as `Authorization: Bearer`. A session grants what
 * a secret key grants. Sessions are stateless, so logging out only forgets the token in the
 * browser; they die when they expire (12 h), when the key they came from is revoked, or, for
 * password sessions, when the password changes (the token carries a keyed fingerprint of it).
 */
export class DashboardSessions {
  private constructor(
    private readonly secret: Uint8Array,
    private readonly password: string | undefined,
  ) {}

  static async open(db: Queryable, jwtSecret?: string, password?: string): Promise<DashboardSessions> {
    // blank counts as unset: a password of spaces would be one anybody can guess
    return new DashboardSessions(await signingSecret(db, jwtSecret), password?.trim() ? password : undefined);
  }

  /**
   * Who a password session acts as: `dashboard:<fingerprint of the password>`. Tokens it mints
   * carry that subject, so they die with the password too (`isLivePrincipal`).
   */
  passwordPrincipal(): string {
    return `dashboard:${this.fingerprint()}`;
  }

  /** For a `dashboard:` subject: whether it names the password still configured. */
  isLivePasswordPrincipal(sub: string): boolean {
    return this.passwordEnabled && sub === this.passwordPrincipal();
  }

  get passwordEnabled(): boolean {
    return this.password !== undefined;
  }

  /** Constant-time comparison (of digests, so the lengths match). */
  checkPassword(candidate: string): boolean {
    if (this.password === undefined) return false;
    const digest = (value: string) => createHash("sha256").update(value).digest();
    return timingSafeEqual(digest(candidate), digest(this.password));
  }

  private fingerprint(): string {
    return createHmac("sha256", this.secret)
      .update(`dashboard-password:${this.password ?? ""}`)
      .digest("base64url")
      .slice(0, 22);
  }

  async sign(sub: string): Promise<{ token: string; expiresAt: Date }> {
    const exp = Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS;
    const token = await new SignJWT(sub === "password" ? { pwf: this.fingerprint() } : {})
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(sub)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.secret);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The session, or undefined if the token is not a live session of this server. */
  async verify(token: string): Promise<DashboardSession | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ["HS256"],
      });
      const sub = String(payload.sub ?? "");
      if (sub === "password" && (!this.passwordEnabled || payload.pwf !== this.fingerprint()))
        return undefined;
      return { sub, exp: payload.exp ?? 0 };
    } catch {
      return undefined;
    }
  }
}
