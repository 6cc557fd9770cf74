import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DRILL_TWILIO, startPactum, type PactumProcess } from '../../drills/support/pactum-process.js';
import { startFakeSmtp, type FakeSmtp } from '../../fakes/fake-smtp.js';
import { startFakeTwilio, type FakeTwilio } from '../../fakes/fake-twilio.js';

export interface E2eServer {
  /** http://127.0.0.1:PORT — also PACTUM_PUBLIC_URL, so the browser's Origin matches. */
  base: string;
  pactum: PactumProcess;
  twilio: FakeTwilio;
  smtp: FakeSmtp;
  /** The newest code sent to `phone`, waiting for it to arrive as a user waits for the SMS. */
  codeFor(phone: string, after?: number): Promise<string>;
  /** The newest link to `path` mailed to `email` (password resets). */
  linkMailedTo(email: string, path: string): Promise<string>;
  stop(): Promise<void>;
}

/** The built `pactum serve` on the embedded engine with the fake Twilio and a fake SMTP server. */
export async function startE2eServer(options: { demo?: boolean; env?: Record<string, string> } = {}): Promise<E2eServer> {
  const twilio = await startFakeTwilio(DRILL_TWILIO);
  const smtp = await startFakeSmtp();
  const pactum = await startPactum({
    twilioUrl: twilio.url,
    dataDir: mkdtempSync(join(tmpdir(), 'pactum-e2e-')),
    serveArgs: options.demo ? ['--demo'] : [],
    env: { PACTUM_SMTP_URL: smtp.url, PACTUM_LOG_LEVEL: 'warn', ...options.env },
    // A cold embedded database takes seconds to create; on a busy two-core machine, many more.
    readyTimeoutMs: 180_000,
  });
  const sentTo = (phone: string) =>
    twilio.messages.filter((m) => m.to === phone).length + twilio.calls.filter((c) => c.to === phone).length;
  return {
    base: pactum.base,
    pactum,
    twilio,
    smtp,
    async codeFor(phone, after = 0) {
      for (let waited = 0; waited < 15_000; waited += 100) {
        const code = sentTo(phone) > after ? twilio.lastCodeFor(phone) : undefined;
        if (code) return code;
        await sleep(100);
      }
      throw new Error(`no code reached ${phone}`);
    },
    async linkMailedTo(email, path) {
      for (let waited = 0; waited < 15_000; waited += 100) {
        const message = [...smtp.messages].reverse().find((m) => m.to.includes(email));
        const link = message?.data.replace(/=\r\n/g, '').match(new RegExp(`https?://[^\\s"<>]*${path}[^\\s"<>]*`))?.[0];
        if (link) return link;
        await sleep(100);
      }
      throw new Error(`no mail with ${path} reached ${email}`);
    },
    async stop() {
      await pactum.stop();
      await twilio.close();
      await smtp.close();
    },
  };
}

/** How many codes `phone` has received so far; pass it to codeFor to wait for the next one. */
export function codesSentTo(server: E2eServer, phone: string): number {
  return server.twilio.messages.filter((m) => m.to === phone).length + server.twilio.calls.filter((c) => c.to === phone).length;
}
