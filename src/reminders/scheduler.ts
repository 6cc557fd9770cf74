import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Schema } from '../db/schema.js';
import { createMailer } from '../mail/mailer.js';
import { createReminderJob, type JobLogger } from './job.js';

export interface Scheduler {
  /** Stops the timer, waits for a run in progress, and releases the lease. */
  stop(): Promise<void>;
}

/**
 * Runs the reminder job at start and then every hour. The job is daily in effect — each reminder is
 * recorded once and due by date — but an hourly tick lets a node that just started, or took the lease
 * over from one that died, catch up the same day. Runs never overlap; the timer is unref'd so it never
 * keeps the process alive on its own.
 */
export interface ScheduledJob {
  runOnce(): Promise<unknown>;
  release(): Promise<void>;
}

export function startScheduler(options: { job: ScheduledJob; logger: JobLogger; intervalMs?: number; name?: string }): Scheduler {
  const name = options.name ?? 'deadline reminder';
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = options.job
      .runOnce()
      .then(
        () => undefined,
        (error: unknown) => options.logger.error({ err: error }, `${name} run failed; retrying at the next tick`),
      )
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, options.intervalMs ?? 60 * 60 * 1000);
  timer.unref();
  tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      try {
        await options.job.release();
      } catch (error) {
        options.logger.warn({ err: error }, `could not release the ${name} lease; it expires by itself`);
      }
    },
  };
}

/** What `pactum serve` starts: the reminder job with the configured mailer and lead times, on the real clock. */
export function startReminderScheduler(options: { config: Config; kysely: Kysely<Schema>; logger: JobLogger }): Scheduler {
  const mailer = createMailer(options.config.mail, options.logger);
  const job = createReminderJob({
    kysely: options.kysely,
    mailer,
    clock: () => new Date(),
    leadDays: options.config.reminderLeadDays,
    logger: options.logger,
    publicUrl: options.config.publicUrl,
  });
  const scheduler = startScheduler({ job, logger: options.logger });
  return {
    async stop() {
      await scheduler.stop();
      mailer.close();
    },
  };
}
