import nodemailer from 'nodemailer';
import type { Mailer } from './mailer.js';

/**
 * Mail over SMTP with nodemailer, configured by one URL (smtp://user:pass@host:587 upgrades with STARTTLS
 * when the server offers it; smtps://host:465 is TLS from the start; query options such as
 * ?requireTLS=true pass through to nodemailer). Timeouts keep a silent server from stalling the caller.
 */
export function createSmtpMailer(options: { url: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(
    { url: options.url, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 },
    { from: options.from },
  );
  return {
    async send(message) {
      await transport.sendMail({ to: message.to, subject: message.subject, text: message.text });
    },
    close() {
      transport.close();
    },
  };
}
