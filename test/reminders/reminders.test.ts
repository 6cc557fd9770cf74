import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { addDays } from '../../src/deadlines/dates.js';
import { createMailer, MailNotAccepted, type Mailer, type MailMessage } from '../../src/mail/mailer.js';
import { createReminderJob, REMINDER_LEASE, type ReminderJob } from '../../src/reminders/job.js';
import { MAX_SEND_FAILURES } from '../../src/reminders/queries.js';
import { startFakeSmtp } from '../fakes/fake-smtp.js';
import { addMember, createGroup, type Member } from '../helpers/members.js';
import { PUBLIC_URL, registerCompany, startTestApp, type Registered, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import { createContract, createVendor } from '../holdings/vault-fixtures.js';

/**
 * A mailer that keeps what it was given. Mail to an address in `failing` fails with an outcome the job
 * cannot know (the server may have it); mail to an address in `refusing` is refused by the server.
 */
function capturingMailer() {
  const sent: MailMessage[] = [];
  const failing = new Set<string>();
  const refusing = new Set<string>();
  const attempted: string[] = [];
  const mailer: Mailer & { sent: MailMessage[]; failing: Set<string>; refusing: Set<string>; attempts(to?: string): number } = {
    sent,
    failing,
    refusing,
    attempts: (to) => attempted.filter((address) => to === undefined || address === to).length,
    async send(message) {
      attempted.push(message.to);
      if (failing.has(message.to)) throw Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' });
      if (refusing.has(message.to)) throw new MailNotAccepted('EENVELOPE 451');
      sent.push(message);
    },
    close() {},
  };
  return mailer;
}

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

describe(`deadline reminders (${engineName})`, () => {
  let t: TestApp;
  const jobs: ReminderJob[] = [];
  let clockNow = new Date();
  const setToday = (date: string) => {
    clockNow = new Date(`${date}T07:00:00Z`);
  };

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterEach(async () => {
    // Each test starts with the lease free; a held lease would (rightly) block the next test's job.
    for (const job of jobs.splice(0)) await job.release();
  });
  afterAll(() => t.close());

  function newJob(options: { mailer?: Mailer; holder?: string; logger?: pino.Logger } = {}) {
    const mailer = options.mailer ?? capturingMailer();
    const job = createReminderJob({
      kysely: t.db.database.kysely,
      mailer,
      clock: () => clockNow,
      leadDays: [90, 30, 7],
      logger: options.logger ?? capturingLogger().logger,
      holder: options.holder ?? `test-node-${jobs.length}-${Math.random().toString(36).slice(2)}`,
      publicUrl: new URL(PUBLIC_URL),
    });
    jobs.push(job);
    return job;
  }

  interface Company {
    master: Registered;
    manager: Member;
    vendorId: string;
    emails: Map<string, string>;
  }

  /** A company with its master and a member who manages contracts; `emails` maps addresses to user ids. */
  async function company(): Promise<Company> {
    const master = await registerCompany(t);
    const manager = await addMember(t, master, { name: 'Peter Gibbons' });
    const vendorId = await createVendor(master.client, 'Initech Software');
    return {
      master,
      manager,
      vendorId,
      emails: new Map([
        [master.email, master.userId],
        [manager.email, manager.userId],
      ]),
    };
  }

  /** Mails of this company only: the job visits every tenant of the shared test database. */
  const mailsOf = (mailer: { sent: MailMessage[] }, who: Company) => mailer.sent.filter((mail) => who.emails.has(mail.to));
  const recipients = (mails: MailMessage[], who: Company) => mails.map((mail) => who.emails.get(mail.to)).sort();

  async function deliveries(contractId: string) {
    return t.db.asOwner<{ lead_days: number; recipient_id: string; deadline: string; deadline_type: string }>(
      "SELECT lead_days, recipient_id::text, to_char(deadline, 'YYYY-MM-DD') AS deadline, deadline_type FROM reminder_deliveries WHERE contract_id = $1 ORDER BY lead_days DESC, recipient_id",
      [contractId],
    );
  }

  /** A new company and a contract of it whose manager is reminded; the notice deadline is the end date. */
  async function contractEnding(title: string, endsOn: string) {
    const c = await company();
    const contractId = await createContract(c.master.client, {
      vendorId: c.vendorId,
      title,
      endsOn,
      noticePeriodDays: 0,
      managerId: c.manager.userId,
    });
    return { c, contractId };
  }

  const revoke = (userId: string) => t.db.asOwner("UPDATE users SET status = 'revoked', revoked_at = now() WHERE id = $1", [userId]);

  it('sends each reminder once, 90, 30 and 7 days before the notice deadline, to the manager', async () => {
    const c = await company();
    const contractId = await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'TPS Reporting Suite',
      endsOn: '2031-12-31',
      noticePeriodDays: 90,
      managerId: c.manager.userId,
    });
    const deadline = '2031-10-02';
    const mailer = capturingMailer();
    const job = newJob({ mailer });
    const runOn = async (date: string) => {
      setToday(date);
      expect((await job.runOnce()).ran).toBe(true);
      return mailsOf(mailer, c).length;
    };

    expect(await runOn(addDays(deadline, -91))).toBe(0);
    expect(await runOn(addDays(deadline, -90))).toBe(1);
    expect(await runOn(addDays(deadline, -90))).toBe(1);
    expect(await runOn(addDays(deadline, -89))).toBe(1);
    expect(await runOn(addDays(deadline, -30))).toBe(2);
    expect(await runOn(addDays(deadline, -29))).toBe(2);
    expect(await runOn(addDays(deadline, -7))).toBe(3);
    expect(await runOn(addDays(deadline, -1))).toBe(3);
    expect(await runOn(deadline)).toBe(3);
    expect(await runOn(addDays(deadline, 1))).toBe(3);

    const mails = mailsOf(mailer, c);
    expect(mails.map((mail) => mail.to)).toEqual([c.manager.email, c.manager.email, c.manager.email]);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Notice deadline in 90 days: TPS Reporting Suite (Initech Software)',
      'Notice deadline in 30 days: TPS Reporting Suite (Initech Software)',
      'Notice deadline in 7 days: TPS Reporting Suite (Initech Software)',
    ]);
    expect(mails[0]!.text).toContain('for: “Peter Gibbons”');
    expect(mails[0]!.text).toContain(`is ${deadline} (in 90 days)`);
    expect(mails[0]!.text).toContain('The contract ends on 2031-12-31.');
    expect(mails[0]!.text).toContain(`${PUBLIC_URL}/contracts/${contractId}`);
    expect(await deliveries(contractId)).toEqual(
      [90, 30, 7].map((lead) => ({ lead_days: lead, recipient_id: c.manager.userId, deadline, deadline_type: 'notice' })),
    );
  });

  it('catches up after missed days with the shortest due lead only', async () => {
    const c = await company();
    const contractId = await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Missed days',
      endsOn: '2032-03-31',
      noticePeriodDays: 60,
      managerId: c.manager.userId,
    });
    const deadline = '2032-01-31';
    const mailer = capturingMailer();
    const job = newJob({ mailer });

    setToday(addDays(deadline, -10));
    await job.runOnce();
    expect(mailsOf(mailer, c).map((mail) => mail.subject)).toEqual(['Notice deadline in 10 days: Missed days (Initech Software)']);
    expect((await deliveries(contractId)).map((row) => row.lead_days)).toEqual([30]);

    setToday(addDays(deadline, -7));
    await job.runOnce();
    setToday(addDays(deadline, -3));
    await job.runOnce();
    expect((await deliveries(contractId)).map((row) => row.lead_days)).toEqual([30, 7]);
    expect(mailsOf(mailer, c)).toHaveLength(2);
  });

  it('reminds the masters instead when the manager is no longer active', async () => {
    const c = await company();
    const secondMaster = await addMember(t, c.master, { role: 'master' });
    const bystander = await addMember(t, c.master);
    c.emails.set(secondMaster.email, secondMaster.userId).set(bystander.email, bystander.userId);
    await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Orphaned',
      endsOn: '2032-06-30',
      noticePeriodDays: 30,
      managerId: c.manager.userId,
    });
    await revoke(c.manager.userId);

    const mailer = capturingMailer();
    setToday(addDays('2032-05-31', -30));
    await newJob({ mailer }).runOnce();
    const mails = mailsOf(mailer, c);
    expect(recipients(mails, c)).toEqual([c.master.userId, secondMaster.userId].sort());
    expect(mails[0]!.text).toContain('manager of this contract is no longer an active user');
  });

  it('reminds about a restricted contract only users who can see it', async () => {
    const c = await company();
    const outsideMaster = await addMember(t, c.master, { role: 'master' });
    c.emails.set(outsideMaster.email, outsideMaster.userId);
    const board = await createGroup(t, c.master.tenantId, 'Board', [c.master.userId, c.manager.userId]);
    const contractId = await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Board only',
      endsOn: '2032-09-30',
      noticePeriodDays: 30,
      managerId: c.manager.userId,
      groupIds: [board],
    });
    const deadline = '2032-08-31';
    const mailer = capturingMailer();
    const job = newJob({ mailer });

    setToday(addDays(deadline, -90));
    await job.runOnce();
    expect(recipients(mailsOf(mailer, c), c)).toEqual([c.manager.userId]);

    // With the manager gone, the masters stand in — but only the one inside the group can see it.
    await revoke(c.manager.userId);
    setToday(addDays(deadline, -30));
    await job.runOnce();
    expect(recipients(mailsOf(mailer, c), c)).toEqual([c.manager.userId, c.master.userId].sort());
    expect((await deliveries(contractId)).map((row) => row.recipient_id)).not.toContain(outsideMaster.userId);
  });

  it('reminds about the rolled-forward term of an auto-renewing contract', async () => {
    const c = await company();
    const contractId = await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Renews yearly',
      startsOn: '2027-01-01',
      endsOn: '2027-12-31',
      noticePeriodDays: 90,
      autoRenew: true,
      renewalTermMonths: 12,
      managerId: c.manager.userId,
    });
    const mailer = capturingMailer();
    setToday('2033-09-02'); // 30 days before the notice date of the term ending 2033-12-31
    await newJob({ mailer }).runOnce();
    const mails = mailsOf(mailer, c);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('is 2033-10-02 (in 30 days)');
    expect(mails[0]!.text).toContain('it renews on 2033-12-31 for another 12 months');
    expect(await deliveries(contractId)).toEqual([
      { lead_days: 30, recipient_id: c.manager.userId, deadline: '2033-10-02', deadline_type: 'notice' },
    ]);
  });

  it('lets only one of two concurrent runs work: the one holding the lease', async () => {
    const c = await company();
    await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Raced',
      endsOn: '2034-03-31',
      noticePeriodDays: 0,
      managerId: c.manager.userId,
    });
    const mailerA = capturingMailer();
    const mailerB = capturingMailer();
    const a = newJob({ mailer: mailerA, holder: 'node-a' });
    const b = newJob({ mailer: mailerB, holder: 'node-b' });
    setToday('2034-03-24');

    const results = await Promise.all([a.runOnce(), b.runOnce()]);
    expect(results.map((result) => result.ran).sort()).toEqual([false, true]);
    expect(mailsOf(mailerA, c).length + mailsOf(mailerB, c).length).toBe(1);
    const idle = results[0]!.ran ? mailerB : mailerA;
    expect(idle.attempts()).toBe(0);
  });

  it('waits while another node holds the lease and takes over once it expires', async () => {
    const c = await company();
    await createContract(c.master.client, {
      vendorId: c.vendorId,
      title: 'Taken over',
      endsOn: '2034-06-30',
      noticePeriodDays: 0,
      managerId: c.manager.userId,
    });
    await t.db.asOwner(
      `INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, 'other-node', now() + interval '1 hour')
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
      [REMINDER_LEASE],
    );
    const mailer = capturingMailer();
    const job = newJob({ mailer });
    setToday('2034-06-23');

    expect(await job.runOnce()).toEqual({ ran: false, sent: 0, failed: 0 });
    expect(mailer.attempts()).toBe(0);

    await t.db.asOwner("UPDATE job_leases SET expires_at = now() - interval '1 second' WHERE name = $1", [REMINDER_LEASE]);
    expect((await job.runOnce()).ran).toBe(true);
    expect(mailsOf(mailer, c)).toHaveLength(1);
    const [lease] = await t.db.asOwner<{ holder: string }>('SELECT holder FROM job_leases WHERE name = $1', [REMINDER_LEASE]);
    expect(lease!.holder).toBe(job.holder);
  });

  it('logs a send of unknown outcome as an error, keeps it recorded, and never sends it twice', async () => {
    const { c, contractId } = await contractEnding('Mail server down', '2034-09-30');
    const mailer = capturingMailer();
    const { logger, lines } = capturingLogger();
    const job = newJob({ mailer, logger });
    setToday('2034-09-01');
    mailer.failing.add(c.manager.email);

    const first = await job.runOnce();
    expect(first.failed).toBeGreaterThanOrEqual(1);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.reminder?.contractId === contractId);
    expect(failure).toMatchObject({
      level: 50,
      reminder: { contractId, recipientId: c.manager.userId, leadDays: 30, deadline: '2034-09-30' },
    });
    expect(await deliveries(contractId)).toHaveLength(1);

    expect(mailer.attempts(c.manager.email)).toBe(1);
    await job.runOnce();
    setToday('2034-09-02');
    await job.runOnce();
    expect(mailer.attempts(c.manager.email)).toBe(1);
    expect(mailsOf(mailer, c)).toHaveLength(0);
  });

  /** How sending went, per lead time, longest first. */
  async function outcomes(contractId: string) {
    return t.db.asOwner<{ lead_days: number; sent: boolean; failures: number; retryable: boolean; last_failure: string | null }>(
      'SELECT lead_days, sent_at IS NOT NULL AS sent, failures, retryable, last_failure FROM reminder_deliveries WHERE contract_id = $1 ORDER BY lead_days DESC',
      [contractId],
    );
  }

  it('tries a reminder the server refused again at later runs, and sends it once', async () => {
    const { c, contractId } = await contractEnding('Greylisted', '2036-05-31');
    const mailer = capturingMailer();
    const { logger, lines } = capturingLogger();
    const job = newJob({ mailer, logger });
    setToday('2036-05-02');
    mailer.refusing.add(c.manager.email);

    await job.runOnce();
    expect(await outcomes(contractId)).toEqual([
      { lead_days: 30, sent: false, failures: 1, retryable: true, last_failure: 'EENVELOPE 451' },
    ]);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.reminder?.contractId === contractId);
    expect(failure).toMatchObject({ level: 50, msg: expect.stringContaining('try again') });
    expect(lines.join('\n')).not.toContain(c.manager.email);

    await job.runOnce(); // the next hourly run: refused again
    setToday('2036-05-03');
    mailer.refusing.delete(c.manager.email);
    await job.runOnce();
    await job.runOnce();
    setToday('2036-05-04');
    await job.runOnce();

    expect(mailer.attempts(c.manager.email)).toBe(3);
    expect(mailsOf(mailer, c).map((mail) => mail.subject)).toEqual([expect.stringContaining('Greylisted')]);
    expect(await outcomes(contractId)).toEqual([
      { lead_days: 30, sent: true, failures: 2, retryable: false, last_failure: 'EENVELOPE 451' },
    ]);
  });

  it(`gives a refused reminder up after ${MAX_SEND_FAILURES} failures`, async () => {
    const { c, contractId } = await contractEnding('Bounced', '2036-08-31');
    const mailer = capturingMailer();
    const job = newJob({ mailer });
    setToday('2036-08-02');
    mailer.refusing.add(c.manager.email);
    for (let run = 0; run < MAX_SEND_FAILURES + 2; run += 1) await job.runOnce();
    expect(mailer.attempts(c.manager.email)).toBe(MAX_SEND_FAILURES);
    expect(await outcomes(contractId)).toMatchObject([{ lead_days: 30, sent: false, failures: MAX_SEND_FAILURES }]);
  });

  it('no longer tries a refused reminder once a shorter lead time is due, and sends that one', async () => {
    const { c, contractId } = await contractEnding('Late fix', '2036-11-30');
    const mailer = capturingMailer();
    const job = newJob({ mailer });
    setToday('2036-11-01');
    mailer.refusing.add(c.manager.email);
    await job.runOnce();
    mailer.refusing.delete(c.manager.email);
    setToday('2036-11-25');
    await job.runOnce();
    await job.runOnce();
    expect(mailsOf(mailer, c).map((mail) => mail.subject)).toEqual([expect.stringContaining('in 5 days')]);
    expect(await outcomes(contractId)).toMatchObject([
      { lead_days: 30, sent: false, failures: 1 },
      { lead_days: 7, sent: true, failures: 0 },
    ]);
  });

  it('tries again over SMTP after the server answered 451, and delivers once', async () => {
    const smtp = await startFakeSmtp();
    try {
      const { c, contractId } = await contractEnding('Try later', '2037-02-28');
      const config = loadConfig({ PACTUM_SMTP_URL: smtp.url, PACTUM_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
      const mailer = createMailer(config.mail, capturingLogger().logger);
      const job = newJob({ mailer });
      setToday('2037-02-22');
      smtp.failNextMail(451);
      expect(await job.runOnce()).toMatchObject({ failed: 1, sent: 0 });
      expect(await job.runOnce()).toMatchObject({ failed: 0, sent: 1 });
      expect(await job.runOnce()).toMatchObject({ failed: 0, sent: 0 });
      mailer.close();
      expect(smtp.messages.filter((m) => m.to.includes(c.manager.email))).toHaveLength(1);
      expect(await outcomes(contractId)).toEqual([
        { lead_days: 7, sent: true, failures: 1, retryable: false, last_failure: 'EENVELOPE 451' },
      ]);
    } finally {
      await smtp.close();
    }
  });

  it('delivers over SMTP to the server named by PACTUM_SMTP_URL', async () => {
    const smtp = await startFakeSmtp();
    try {
      const c = await company();
      await createContract(c.master.client, {
        vendorId: c.vendorId,
        title: 'Over the wire',
        endsOn: '2035-01-31',
        noticePeriodDays: 31,
        managerId: c.manager.userId,
      });
      const config = loadConfig({
        PACTUM_SMTP_URL: smtp.url,
        PACTUM_MAIL_FROM: 'Pactum <reminders@pactum.example>',
        PACTUM_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      });
      const mailer = createMailer(config.mail, capturingLogger().logger);
      setToday('2034-12-24'); // 7 days before 2034-12-31
      const result = await newJob({ mailer }).runOnce();
      mailer.close();
      expect(result.failed).toBe(0);

      const message = smtp.messages.find((m) => m.to.includes(c.manager.email));
      expect(message).toBeDefined();
      expect(message!.from).toBe('reminders@pactum.example');
      expect(message!.data).toMatch(/^Subject: Notice deadline in 7 days: Over the wire \(Initech Software\)$/m);
      expect(message!.data).toMatch(/^From: Pactum <reminders@pactum\.example>$/m);
      expect(message!.data).toContain('2034-12-31');
      expect(smtp.commands.some((command) => command.startsWith('EHLO'))).toBe(true);
    } finally {
      await smtp.close();
    }
  });

  it('prints mail to the log when no SMTP URL is configured', async () => {
    const config = loadConfig({ PACTUM_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(config.mail.smtpUrl).toBeNull();
    const { logger, lines } = capturingLogger();
    await createMailer(config.mail, logger).send({ to: 'bill@example.com', subject: 'Notice deadline in 7 days: X', text: 'Hello' });
    const entry = JSON.parse(lines[0]!);
    expect(entry.mail).toMatchObject({ to: 'bill@example.com', subject: 'Notice deadline in 7 days: X' });
  });
});
