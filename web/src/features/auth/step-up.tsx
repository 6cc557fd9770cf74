import { Alert, Button, Group, Loader, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { isProblem, type ApiProblem } from '../../api/problem';
import { useProblemMessage } from '../../components/ProblemAlert';
import { ChallengeStep, type Challenge } from './ChallengeStep';
import { Dialog } from '../../components/Dialog';

/**
 * Step-up ("Confirm it's you"): some changes need a sign-in from the last 15 minutes (roles, revocation,
 * group membership, a contract's visibility); the server answers them with 403 `reauthentication_required`.
 * Wrap such a mutation and the dialog opens in place, sends a code (POST /api/v1/auth/step-up), and once the
 * code is right runs the mutation again — the user never loses what they were doing.
 *
 *   const { withStepUp, stepUpDialog } = useStepUp();
 *   const save = useMutation({
 *     mutationFn: (body) => withStepUp(() => unwrap(api.PUT('/api/v1/…', { body })), t('visibility.stepUpReason')),
 *   });
 *   return <>{…}{stepUpDialog}</>;   // render the dialog once, anywhere in the screen
 *
 * `reason` is shown under the title and says why this step needs a code ("Changing who may see this contract
 * needs a fresh code"). `withStepUp` resolves with the mutation's result (the first answer, or the retry's);
 * any other failure is passed on untouched. If the user cancels, it rejects with the original
 * `reauthentication_required` problem, whose catalogue message says what did not happen; focus returns to
 * the control that started the action (Mantine's Modal).
 */
export function useStepUp(): {
  withStepUp: <T>(mutation: () => Promise<T>, reason: string) => Promise<T>;
  stepUpDialog: ReactNode;
} {
  const [pending, setPending] = useState<PendingStepUp | null>(null);
  // Where focus goes back when the dialog has closed: the control that started the action. Taken before the
  // first request, because a button that shows it is busy is disabled and has lost focus by the time the
  // dialog opens.
  const opener = useRef<HTMLElement | null>(null);

  const confirm = useCallback(
    (reason: string, refusal: ApiProblem) =>
      new Promise<void>((resolve, reject) => {
        setPending({
          reason,
          done: () => {
            setPending(null);
            resolve();
          },
          cancel: () => {
            setPending(null);
            reject(refusal);
          },
        });
      }),
    [],
  );

  const withStepUp = useCallback(
    async <T,>(mutation: () => Promise<T>, reason: string): Promise<T> => {
      if (document.activeElement instanceof HTMLElement) opener.current = document.activeElement;
      try {
        return await mutation();
      } catch (problem) {
        if (!isProblem(problem, 'reauthentication_required')) throw problem;
        await confirm(reason, problem);
        return mutation();
      }
    },
    [confirm],
  );

  const returnFocus = useCallback(() => {
    if (opener.current?.isConnected) opener.current.focus();
  }, []);
  return { withStepUp, stepUpDialog: <StepUpDialog pending={pending} onClosed={returnFocus} /> };
}

interface PendingStepUp {
  reason: string;
  done: () => void;
  cancel: () => void;
}

function StepUpDialog({ pending, onClosed }: { pending: PendingStepUp | null; onClosed: () => void }) {
  const { t } = useTranslation('auth');
  return (
    <Dialog
      opened={pending !== null}
      onClose={() => pending?.cancel()}
      title={t('stepUp.title')}
      centered
      returnFocus={false}
      onExitTransitionEnd={onClosed}
      closeButtonProps={{ 'aria-label': t('stepUp.cancel') }}
    >
      {pending && <StepUpBody key={pending.reason} pending={pending} />}
    </Dialog>
  );
}

/** Asks for a step-up code as soon as the dialog opens; a code that expires is replaced by a new one. */
function StepUpBody({ pending }: { pending: PendingStepUp }) {
  const { t } = useTranslation('auth');
  const problemMessage = useProblemMessage();
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [expired, setExpired] = useState(false);
  const requested = useRef(false);

  const requestCode = useCallback(async () => {
    setError(null);
    setChallenge(null);
    try {
      const { challenge: next } = await unwrap(api.POST('/api/v1/auth/step-up'));
      setChallenge(next);
    } catch (problem) {
      setError(problem);
    }
  }, []);

  useEffect(() => {
    // Once per dialog, also under StrictMode's double effects: each request sends a text message.
    if (requested.current) return;
    requested.current = true;
    void requestCode();
  }, [requestCode]);

  return (
    <Stack gap="md">
      <Text>{pending.reason}</Text>
      {expired && (
        <Alert color="yellow" role="status">
          {t('stepUp.expired')}
        </Alert>
      )}
      {error !== null ? (
        <>
          <Alert color="red" role="alert">
            {problemMessage(error)}
          </Alert>
          <Group>
            <Button onClick={() => void requestCode()}>{t('stepUp.sendCode')}</Button>
            <Button variant="default" onClick={pending.cancel}>
              {t('stepUp.cancel')}
            </Button>
          </Group>
        </>
      ) : challenge === null ? (
        <Group gap="sm" role="status">
          <Loader size="sm" />
          <Text size="sm">{t('stepUp.sending')}</Text>
        </Group>
      ) : (
        <>
          <ChallengeStep
            key={challenge.id}
            challenge={challenge}
            onVerified={pending.done}
            onExpired={() => {
              setExpired(true);
              void requestCode();
            }}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={pending.cancel}>
              {t('stepUp.cancel')}
            </Button>
          </Group>
        </>
      )}
    </Stack>
  );
}
