import { phoneHint } from '../phone.js';
import type { CodeSender } from './code-sender.js';

/**
 * Development provider: prints the code instead of sending it, so sign-up and login work
 * without a Twilio account. Printing the code is its whole purpose; production start-up
 * refuses PACTUM_SMS_PROVIDER=console.
 */
export function createConsoleCodeSender(write: (line: string) => void = (line) => process.stderr.write(line)): CodeSender {
  return {
    async send({ to, channel, code }) {
      write(`[pactum] code for ${phoneHint(to)} by ${channel}: ${code}\n`);
    },
  };
}
