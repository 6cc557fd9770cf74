import type { Channel, Language } from '../phone.js';

export interface CodeMessage {
  /** E.164 */
  to: string;
  channel: Channel;
  /** Exactly 6 digits. */
  code: string;
  language: Language;
}

/** Delivers a one-time code by SMS or by a text-to-speech call. */
export interface CodeSender {
  send(message: CodeMessage): Promise<void>;
}

export interface CodeDeliveryFailure {
  channel: Channel;
  /** The provider's HTTP status, when it answered. */
  status?: number;
  /** The provider's own error code (Twilio's `code`), when it sent one. */
  providerCode?: number;
}

/**
 * The provider did not accept the code for delivery. The message ends up in logs and
 * possibly in bug reports, so it never carries credentials, the code or the full number.
 */
export class CodeDeliveryError extends Error {
  override readonly name = 'CodeDeliveryError';
  readonly channel: Channel;
  readonly status: number | undefined;
  readonly providerCode: number | undefined;

  constructor(message: string, failure: CodeDeliveryFailure) {
    super(message);
    this.channel = failure.channel;
    this.status = failure.status;
    this.providerCode = failure.providerCode;
  }
}
