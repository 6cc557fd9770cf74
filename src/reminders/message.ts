import { daysBetween } from '../deadlines/dates.js';
import { quoted, singleLine, type MailMessage } from '../mail/mailer.js';

export interface ReminderContent {
  recipient: { name: string; email: string };
  /** Why this person: they manage the contract, or they are a master standing in for a manager who left. */
  reason: 'manager' | 'master';
  contract: { id: string; title: string; vendorName: string; autoRenew: boolean; renewalTermMonths: number | null };
  term: { noticeDeadline: string; endsOn: string };
  today: string;
  publicUrl: URL | null;
}

function inDays(days: number): string {
  if (days === 0) return 'today';
  return days === 1 ? 'tomorrow' : `in ${days} days`;
}

/**
 * Plain text on purpose: nothing to render, nothing to inject. Our own words and the link come first; the
 * title, vendor and name that users wrote come after them, quoted and on one line each.
 */
export function reminderMessage(content: ReminderContent): MailMessage {
  const { contract, term } = content;
  const when = inDays(daysBetween(content.today, term.noticeDeadline));
  const afterwards =
    contract.autoRenew && contract.renewalTermMonths
      ? `Without notice by then, it renews on ${term.endsOn} for another ${contract.renewalTermMonths} month${contract.renewalTermMonths === 1 ? '' : 's'}.`
      : `The contract ends on ${term.endsOn}.`;
  const link = content.publicUrl ? ['', `Open it in Pactum: ${new URL(`/contracts/${contract.id}`, content.publicUrl).href}`] : [];
  const why =
    content.reason === 'manager'
      ? 'You receive this because you manage this contract.'
      : 'You receive this as a master of your company because the manager of this contract is no longer an active user.';
  return {
    to: content.recipient.email,
    subject: singleLine(`Notice deadline ${when}: ${contract.title} (${contract.vendorName})`),
    text: [
      'Hello,',
      '',
      `the last day to give notice on the contract below is ${term.noticeDeadline} (${when}).`,
      afterwards,
      ...link,
      '',
      why,
      '',
      `  contract: ${quoted(contract.title, 300)}`,
      `  vendor: ${quoted(contract.vendorName)}`,
      `  for: ${quoted(content.recipient.name)}`,
      '',
      '— Pactum',
    ].join('\n'),
  };
}
