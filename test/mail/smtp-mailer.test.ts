import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MailNotAccepted, type Mailer } from '../../src/mail/mailer.js';
import { createSmtpMailer } from '../../src/mail/smtp-mailer.js';
import { startFakeSmtp, type FakeSmtp } from '../fakes/fake-smtp.js';

/**
 * How the SMTP mailer reports a failure decides whether the reminder job may send again: MailNotAccepted
 * only when the server certainly does not have the message.
 */
describe('SMTP mailer failures', () => {
  let smtp: FakeSmtp | null = null;
  let mailer: Mailer | null = null;
  afterEach(async () => {
    mailer?.close();
    await smtp?.close();
    smtp = null;
    mailer = null;
  });

  const message = { to: 'michael.bolton@initech.example', subject: 'Notice deadline', text: 'Give notice by Friday.' };
  const failureOf = (promise: Promise<void>) =>
    promise.then(
      () => null,
      (error: unknown) => error,
    );

  it('reports a refusal by the server as not taken, with the codes and without the address', async () => {
    smtp = await startFakeSmtp();
    mailer = createSmtpMailer({ url: smtp.url, from: 'reminders@pactum.example' });
    smtp.failNextMail(451);
    const failure = await failureOf(mailer.send(message));
    expect(failure).toBeInstanceOf(MailNotAccepted);
    expect((failure as MailNotAccepted).reason).toBe('EENVELOPE 451');
    expect((failure as MailNotAccepted).reason).not.toContain('initech');
    expect(smtp.messages).toHaveLength(0);

    await mailer.send(message);
    expect(smtp.messages).toHaveLength(1);
  });

  it('reports a server that cannot be reached as not taken', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    mailer = createSmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: 'reminders@pactum.example' });
    const failure = await failureOf(mailer.send(message));
    expect(failure).toBeInstanceOf(MailNotAccepted);
    expect((failure as MailNotAccepted).reason).toBe('ESOCKET ECONNREFUSED');
  });

  it('leaves a connection lost after the message was handed over as unknown: the server may have it', async () => {
    smtp = await startFakeSmtp();
    mailer = createSmtpMailer({ url: smtp.url, from: 'reminders@pactum.example' });
    smtp.dropAfterNextMessage();
    const failure = await failureOf(mailer.send(message));
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(MailNotAccepted);
    expect(smtp.messages).toHaveLength(1);
  });
});
