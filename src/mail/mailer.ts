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
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}

/**
 * User-written text (names, company names, titles) inside a mail body: one line, in quotation marks, and
 * only after our own words and links, so that it can neither pass for Pactum's words nor put a link of its
 * own above ours. Mails are plain text only (MailMessage has no HTML part), so there is no markup to escape.
 */
export function quoted(text: string, maxLength = 200): string {
  return `“${singleLine(text, maxLength).replace(/[“”]/g, '"')}”`;
}
