-- Pactum schema, chapter 8: a reminder the mail server did not take is tried again.
--
-- Until now a reminder was recorded, then sent, and a failed send stayed failed: the next reminder came
-- only with the next, shorter lead time, weeks later — or never, after the 7-day one. Now the record also
-- says how sending went. sent_at is set once the server has taken the message (it was the claim time,
-- so every reminder recorded before this chapter counts as sent, as it was treated then). A send that
-- failed before the server took the message — it refused it, or could not be reached — is marked
-- retryable, and the job claims it again on a later run while its lead time is still the one due, up to
-- five failures. A send whose outcome is unknown (the connection broke after the message was handed over,
-- or the process stopped mid-send) stays unsent and not retryable: the job never risks mailing a
-- reminder twice, and the failure is in the log.

ALTER TABLE reminder_deliveries
  ALTER COLUMN sent_at DROP NOT NULL,
  ALTER COLUMN sent_at DROP DEFAULT,
  ADD COLUMN claimed_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN failures integer NOT NULL DEFAULT 0 CHECK (failures BETWEEN 0 AND 100),
  ADD COLUMN retryable boolean NOT NULL DEFAULT false,
  -- An error code and the server's reply code (e.g. 'EENVELOPE 451'), never addresses or message text.
  ADD COLUMN last_failure text CHECK (length(last_failure) <= 200),
  ADD CONSTRAINT sent_or_not_retryable CHECK (sent_at IS NULL OR NOT retryable);

GRANT UPDATE (claimed_at, sent_at, failures, retryable, last_failure) ON reminder_deliveries TO pactum_app;
