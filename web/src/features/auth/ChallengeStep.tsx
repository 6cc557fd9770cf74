import { Alert, Anchor, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useInterval } from '@mantine/hooks';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem } from '../../api/problem';
import type { Success } from '../../api/types';
import { useProblemMessage } from '../../components/ProblemAlert';

export type Challenge = Success<'/api/v1/auth/login', 'post'>['challenge'];
export type Verified = Success<'/api/v1/auth/challenges/{id}/verify', 'post'>;

const CODE_LENGTH = 6;

/** Counts down the seconds the server asked us to wait; 0 when the user may try again. */
function useWait() {
  const [secondsLeft, setSecondsLeft] = useState(0);
  const ticker = useInterval(() => setSecondsLeft((seconds) => Math.max(0, seconds - 1)), 1000);
  useEffect(() => {
    if (secondsLeft > 0 && !ticker.active) ticker.start();
    if (secondsLeft === 0 && ticker.active) ticker.stop();
  }, [secondsLeft, ticker]);
  return { secondsLeft, waitFor: (seconds: number) => setSecondsLeft(Math.ceil(seconds)) };
}

/**
 * The one-time-code step every entry shares (sign-in, sign-up, invitation, reset, step-up, phone change).
 * It says where the code went, verifies it, and offers another code or a call instead.
 */
export function ChallengeStep({
  challenge: initial,
  onVerified,
  onExpired,
}: {
  challenge: Challenge;
  onVerified: (verified: Verified) => void | Promise<void>;
  onExpired: () => void;
}) {
  const { t } = useTranslation('auth');
  const problemMessage = useProblemMessage();
  const [challenge, setChallenge] = useState(initial);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const { secondsLeft, waitFor } = useWait();

  async function verify(event?: FormEvent) {
    event?.preventDefault();
    if (code.length !== CODE_LENGTH) {
      setError(null);
      setNotice(null);
      setFieldError(t('code.incomplete', { count: CODE_LENGTH }));
      return;
    }
    setBusy(true);
    try {
      const verified = await unwrap(
        api.POST('/api/v1/auth/challenges/{id}/verify', { params: { path: { id: challenge.id } }, body: { code } }),
      );
      await onVerified(verified);
    } catch (problem) {
      setCode('');
      if (isProblem(problem, 'challenge_expired')) onExpired();
      else setFieldError(problemMessage(problem));
      if (isProblem(problem, 'rate_limited') && problem.retryAfterSeconds) waitFor(problem.retryAfterSeconds);
    } finally {
      setBusy(false);
    }
  }

  async function resend(channel?: 'sms' | 'voice') {
    setError(null);
    setFieldError(null);
    setBusy(true);
    try {
      const { challenge: next } = await unwrap(
        api.POST('/api/v1/auth/challenges/{id}/resend', { params: { path: { id: challenge.id } }, body: channel ? { channel } : {} }),
      );
      setChallenge(next);
      setNotice(next.channel === 'voice' ? t('code.calling', { phone: next.phoneHint }) : t('code.resent', { phone: next.phoneHint }));
    } catch (problem) {
      if (isProblem(problem, 'challenge_expired')) return onExpired();
      if (isProblem(problem, 'rate_limited') && problem.retryAfterSeconds) waitFor(problem.retryAfterSeconds);
      setError(problem);
    } finally {
      setBusy(false);
    }
  }

  const where =
    challenge.channel === 'voice'
      ? t('code.sentByVoice', { phone: challenge.phoneHint })
      : t('code.sentBySms', { phone: challenge.phoneHint });

  return (
    <form onSubmit={(event) => void verify(event)} noValidate>
      <Stack gap="md">
        <Text>{where}</Text>
        {notice && (
          <Alert color="blue" role="status">
            {notice}
          </Alert>
        )}
        {error !== null && (
          <Alert color="red" role="alert">
            {problemMessage(error)}
          </Alert>
        )}
        <TextInput
          label={t('code.label')}
          value={code}
          onChange={(event) => setCode(event.currentTarget.value.replace(/\D/g, '').slice(0, CODE_LENGTH))}
          autoComplete="one-time-code"
          inputMode="numeric"
          maxLength={CODE_LENGTH}
          error={fieldError}
          data-autofocus
          autoFocus
          w={200}
        />
        <Button type="submit" loading={busy}>
          {t('code.verify')}
        </Button>
        <Group gap="md">
          {secondsLeft > 0 ? (
            <Text size="sm" c="gray.7" role="status">
              {t('code.waitSeconds', { count: secondsLeft })}
            </Text>
          ) : (
            <>
              <Anchor component="button" type="button" size="sm" onClick={() => void resend()}>
                {t('code.resend')}
              </Anchor>
              {challenge.channel === 'sms' && (
                <Anchor component="button" type="button" size="sm" onClick={() => void resend('voice')}>
                  {t('code.callInstead')}
                </Anchor>
              )}
            </>
          )}
        </Group>
      </Stack>
    </form>
  );
}
