import { createHmac } from 'node:crypto';

/**
 * The key under which failed logins and reset requests are counted: an HMAC of the lower-cased e-mail,
 * kept whether or not the account exists, so the counters reveal no addresses even to a database reader.
 */
export function emailKey(deps: { emailKey: Buffer }, email: string): Buffer {
  return createHmac('sha256', deps.emailKey).update(email.toLowerCase()).digest();
}
