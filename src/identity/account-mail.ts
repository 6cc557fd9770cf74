import type { FastifyBaseLogger } from 'fastify';
import { quoted, type Mailer, type MailMessage } from '../mail/mailer.js';
import { phoneHint } from './phone.js';

/**
 * Mail about one's own account. Sent after commit and not awaited by the request: the answer must not
 * wait for (or be timed by) an SMTP server, and a failed send is logged without the message text,
 * which may carry a link token.
 */
export function sendInBackground(deps: { mailer: Mailer; logger: FastifyBaseLogger }, message: MailMessage, kind: string): void {
  void deps.mailer.send(message).catch((error: unknown) => {
    deps.logger.warn({ mailKind: kind, reason: error instanceof Error ? error.message : String(error) }, 'account mail could not be sent');
  });
}

// Every account mail: our words and the link first, what users wrote (their name) last and quoted.

export function passwordResetMail(user: { name: string; email: string }, url: string, validMinutes: number): MailMessage {
  return {
    to: user.email,
    subject: 'Reset your Pactum password',
    text: [
      'Hello,',
      '',
      'Someone (hopefully you) asked to reset the password of your Pactum account. To choose a new one, open',
      '',
      url,
      '',
      `The link works once, for ${validMinutes} minutes. You will also need a code sent to your phone.`,
      'If you did not ask for this, ignore this e-mail: your password stays as it is.',
      '',
      `This account's name: ${quoted(user.name)}`,
    ].join('\n'),
  };
}

/** Someone tried to sign a new company up with this address (issue 9, finding 6): tell its owner, and offer a way back in. */
export function signupAttemptMail(user: { name: string; email: string }, url: string, validMinutes: number): MailMessage {
  return {
    to: user.email,
    subject: 'Someone tried to sign up to Pactum with your e-mail address',
    text: [
      'Hello,',
      '',
      'Someone just tried to register a new company on Pactum with this e-mail address. It already belongs to',
      'your Pactum account, so nothing was created and no code was sent. If it was you and you cannot remember',
      'your password, choose a new one here:',
      '',
      url,
      '',
      `The link works once, for ${validMinutes} minutes. You will also need a code sent to your phone.`,
      'If it was not you, ignore this e-mail: your account and your password stay as they are.',
      '',
      `This account's name: ${quoted(user.name)}`,
    ].join('\n'),
  };
}

export function phoneChangedMail(user: { name: string; email: string }, newPhoneE164: string): MailMessage {
  return {
    to: user.email,
    subject: 'Your Pactum sign-in phone number was changed',
    text: [
      'Hello,',
      '',
      `Codes for signing in to Pactum now go to ${phoneHint(newPhoneE164)}.`,
      'If you did not make this change, tell a master of your company at once so they can end your sessions.',
      '',
      `This account's name: ${quoted(user.name)}`,
    ].join('\n'),
  };
}
