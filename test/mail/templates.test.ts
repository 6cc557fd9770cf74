import { describe, expect, it } from 'vitest';
import { passwordResetMail, phoneChangedMail, signupAttemptMail } from '../../src/identity/account-mail.js';
import type { MailMessage } from '../../src/mail/mailer.js';
import { reminderMessage } from '../../src/reminders/message.js';
import { invitationMail } from '../../src/tenancy/invitations.js';

/** What an attacker would write into a name: a line of their own, with a link of their own, above ours. */
const HOSTILE = 'Acme\r\n\r\nUrgent: confirm at https://evil.example/login\r\n<a href="https://evil.example">here</a>';
const LINK = 'https://pactum.example/invitations/abc123';

function linesOf(message: MailMessage) {
  return message.text.split('\n');
}

/** The link comes before any user-written text, which stays on one quoted line and never starts a line of its own. */
function expectLinkFirstAndQuoted(message: MailMessage, link: string | null) {
  const lines = linesOf(message);
  const hostileLines = lines.map((line, index) => [line, index] as const).filter(([line]) => line.includes('evil.example'));
  expect(hostileLines.length).toBeGreaterThan(0);
  for (const [line, index] of hostileLines) {
    expect(line).toMatch(/: “Acme +Urgent: confirm at https:\/\/evil\.example\/login <a href="https:\/\/evil\.example">here<\/a>”$/);
    if (link) expect(index).toBeGreaterThan(lines.indexOf(link));
  }
  expect(message.text).not.toMatch(/\r/);
  expect(lines.some((line) => line.startsWith('Urgent') || line.startsWith('https://evil'))).toBe(false);
  // Plain text only: no HTML part exists in which markup could be rendered.
  expect(Object.keys(message).sort()).toEqual(['subject', 'text', 'to']);
}

describe('mail templates put user-written text after the link, quoted (issue 13, point 4)', () => {
  it('invitation: company, inviter and invitee come after the link', () => {
    const message = invitationMail({ name: HOSTILE, email: 'bob@example.com' }, HOSTILE, HOSTILE, LINK);
    expectLinkFirstAndQuoted(message, LINK);
    expect(linesOf(message).filter((line) => line.includes('evil.example'))).toHaveLength(3);
    expect(message.subject).toBe('You are invited to Pactum');
  });

  it('password reset, signup attempt and phone change: the name comes last', () => {
    const reset = 'https://pactum.example/password-reset/tok';
    expectLinkFirstAndQuoted(passwordResetMail({ name: HOSTILE, email: 'a@example.com' }, reset, 30), reset);
    expectLinkFirstAndQuoted(signupAttemptMail({ name: HOSTILE, email: 'a@example.com' }, reset, 30), reset);
    expectLinkFirstAndQuoted(phoneChangedMail({ name: HOSTILE, email: 'a@example.com' }, '+41791234567'), null);
  });

  it('reminder: title, vendor and name come after the link; the subject stays one line', () => {
    const message = reminderMessage({
      recipient: { name: HOSTILE, email: 'peter@example.com' },
      reason: 'manager',
      contract: {
        id: '6f1c1f4e-8a57-4d4b-9a53-0d3c8a1b2c3d',
        title: HOSTILE,
        vendorName: HOSTILE,
        autoRenew: false,
        renewalTermMonths: null,
      },
      term: { noticeDeadline: '2031-09-30', endsOn: '2031-12-31' },
      today: '2031-07-02',
      publicUrl: new URL('https://pactum.example'),
    });
    expectLinkFirstAndQuoted(message, 'Open it in Pactum: https://pactum.example/contracts/6f1c1f4e-8a57-4d4b-9a53-0d3c8a1b2c3d');
    expect(message.subject).not.toMatch(/[\r\n]/);
  });
});
