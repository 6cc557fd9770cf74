import type { FastifyBaseLogger } from 'fastify';
import type { MailConfig } from '../config.js';
import { createLogMailer } from './log-mailer.js';
import { createSmtpMailer } from './smtp-mailer.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * Sends one plain-text message; resolves once the server accepted it, rejects when it did not. A rejection
 * with MailNotAccepted means the server certainly does not have the message, so sending it again cannot
 * deliver it twice; any other rejection leaves that open.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** The server refused the message or could not be reached: it was not taken. */
export class MailNotAccepted extends Error {
  /** A short code for the record, e.g. 'EENVELOPE 451': no addresses, no message text. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the mail server did not take the message (${reason})`, options);
    this.name = 'MailNotAccepted';
    this.reason = reason;
  }
}

export type MailLogger = Pick<FastifyBaseLogger, 'info'>;

/** SMTP when PACTUM_SMTP_URL is set, otherwise the log (API.md: "unset: printed to the log"). */
export function createMailer(config: MailConfig, logger: MailLogger): Mailer {
  return config.smtpUrl ? createSmtpMailer({ url: config.smtpUrl, from: config.from }) : createLogMailer(logger);
}

/** A header line cannot carry a line break: a contract title must not be able to add headers. */
export function singleLine(text: string, maxLength = 200): string {
  const flat = text.replace(/[\r\n\t\u2028\u2029]+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}
