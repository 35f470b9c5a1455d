/**
 * DKIM (nodemailer's signer, configured by DKIM_PRIVATE_KEY / DKIM_SELECTOR / DKIM_DOMAIN):
 * a message sent over SMTP verifies with mailauth against the public key (served by an
 * in-test DNS resolver: no network), and fails once a byte of the body changes.
 */
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailConfig } from "../src/crm/email/config.js";
import { createTransport } from "../src/crm/email/transport.js";
import { type SmtpSink, startSmtpSink } from "./smtp-sink.js";

type Verify = (
  input: Buffer | string,
  options: { resolver: (name: string, type: string) => Promise<string[][]> },
) => Promise<{ results: Array<{ status: { result: string }; signingDomain: string; selector: string }> }>;
const { dkimVerify } = createRequire(import.meta.url)("mailauth/lib/dkim/verify.js") as {
  dkimVerify: Verify;
};

describe("DKIM", () => {
  let sink: SmtpSink;
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const dns = new Map<string, string>([
    [
      "mail2026._domainkey.dkim.test",
      `v=DKIM1; k=rsa; p=${publicKey.export({ type: "spki", format: "der" }).toString("base64")}`,
    ],
  ]);
  const resolver = async (name: string, type: string) => {
    const record = type === "TXT" ? dns.get(name) : undefined;
    if (!record) throw Object.assign(new Error(`no ${type} record for ${name}`), { code: "ENOTFOUND" });
    return [[record]];
  };
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink?.close());

  it("signs what goes out over SMTP; the signature verifies, and breaks when the body changes", async () => {
    const config = mailConfig({
      SMTP_URL: sink.url,
      MAIL_FROM: "News <news@dkim.test>",
      DKIM_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      DKIM_SELECTOR: "mail2026",
      MAINSPRING_PUBLIC_URL: "https://crm.dkim.test",
    });
    expect(config.dkim?.domainName).toBe("dkim.test");
    const transport = createTransport(config);
    try {
      const outcome = await transport.send(
        {
          from: config.from,
          to: { name: "Ada", address: "ada@example.test" },
          subject: "Signed",
          text: "Hello Ada",
          messageId: "<c.cmp_1.abc@dkim.test>",
          unsubscribe: {
            url: "https://crm.dkim.test/app/unsubscribe/x.y",
            mailto: "mailto:unsubscribe@dkim.test",
          },
        },
        async (releaseDot) => {
          releaseDot();
          return true;
        },
      );
      expect(outcome.kind).toBe("sent");
    } finally {
      transport.close();
    }
    const raw = sink.received.at(-1)!.raw!;
    expect(raw).toMatch(/^DKIM-Signature: .*d=dkim\.test/m);
    const ok = await dkimVerify(raw, { resolver });
    expect(ok.results.map((r) => [r.status.result, r.signingDomain, r.selector])).toEqual([
      ["pass", "dkim.test", "mail2026"],
    ]);
    const tampered = await dkimVerify(raw.replace("Hello Ada", "Hello Eve"), { resolver });
    // mailauth reports a body-hash mismatch as "neutral" (RFC 6376 §6.3): anything but a pass.
    expect(tampered.results[0]!.status.result).not.toBe("pass");
  });

  it("rejects a key without a selector", () => {
    expect(() => mailConfig({ DKIM_PRIVATE_KEY: "x" })).toThrow(/DKIM_SELECTOR/);
  });
});
