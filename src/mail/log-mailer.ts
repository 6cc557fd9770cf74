import type { Mailer, MailLogger } from './mailer.js';

/**
 * Development mail: the message is printed to the log instead of sent, so reminders and invitations can be
 * followed without an SMTP server. Only the recipient, subject and body are logged — no credentials exist here.
 */
export function createLogMailer(logger: MailLogger): Mailer {
  return {
    async send(message) {
      logger.info(
        { mail: { to: message.to, subject: message.subject, text: message.text } },
        'mail (PACTUM_SMTP_URL unset: printed, not sent)',
      );
    },
    close() {},
  };
}
