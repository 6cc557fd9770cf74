import type { Transporter } from 'nodemailer';
import { MailNotAccepted, type Mailer } from './mailer.js';

/**
 * Mail over SMTP with nodemailer, configured by one URL (smtp://user:pass@host:587 upgrades with STARTTLS
 * when the server offers it; smtps://host:465 is TLS from the start; query options such as
 * ?requireTLS=true pass through to nodemailer). Timeouts keep a silent server from stalling the caller.
 */
export function createSmtpMailer(options: { url: string; from: string }): Mailer {
  // nodemailer is loaded with the first message, not at start: it is memory a node may never need.
  let transport: Promise<Transporter> | null = null;
  const connect = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport(
        { url: options.url, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 },
        { from: options.from },
      ),
    ));
  return {
    async send(message) {
      const smtp = await connect();
      try {
        await smtp.sendMail({ to: message.to, subject: message.subject, text: message.text });
      } catch (error) {
        throw notTakenOrUnknown(error);
      }
    },
    close() {
      void transport?.then((smtp) => smtp.close());
    },
  };
}

/** Where the failure came from when no connection to the server could be made at all. */
const CONNECTING = new Set(['connect', 'getaddrinfo']);

/**
 * A reply code of 4xx or 5xx is the server saying no — to the sender, a recipient, or the message after
 * DATA — so it does not have the message; nor does a server that could not be looked up or connected to.
 * Anything else may have happened after the server took the message: nodemailer reports a connection
 * lost after the final dot as ECONNECTION, just as it reports some failures before it, so only the
 * failing system call tells a connection never made. Those are rethrown as they are: unknown.
 */
function notTakenOrUnknown(error: unknown): unknown {
  const { code, originalCode, responseCode, syscall } = (error ?? {}) as Record<string, unknown>;
  const refused = typeof responseCode === 'number' && responseCode >= 400 && responseCode < 600;
  const unreachable = typeof syscall === 'string' && CONNECTING.has(syscall);
  if (!refused && !unreachable) return error;
  const reason = [code, originalCode, refused ? responseCode : null]
    .filter((part) => typeof part === 'string' || typeof part === 'number')
    .join(' ');
  return new MailNotAccepted(reason.slice(0, 200) || 'not accepted', { cause: error });
}
