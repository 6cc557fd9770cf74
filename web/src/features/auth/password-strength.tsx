import { Group, PasswordInput, Progress, Text, type PasswordInputProps } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isProblem } from '../../api/problem';
import type * as PasswordRules from '../../../../src/identity/password-rules';
import type { PasswordContext, PasswordRejection } from '../../../../src/identity/password-rules';

type Rules = typeof PasswordRules;

/** Mirrors the server's reason keys (src/identity/password-policy.ts): the local rules plus the breach list. */
export type PasswordReasonKey = PasswordRejection | 'breached';

let loading: Promise<Rules> | undefined;

/**
 * The server's own password rules (src/identity/password-rules.ts), loaded on first use: zxcvbn's dictionary
 * is large, so only the screens that choose a password fetch it, and never the sign-in screen.
 */
export function usePasswordRules(): Rules | null {
  const [rules, setRules] = useState<Rules | null>(null);
  useEffect(() => {
    let live = true;
    loading ??= import('../../../../src/identity/password-rules');
    void loading.then((loaded) => live && setRules(loaded));
    return () => {
      live = false;
    };
  }, []);
  return rules;
}

export function passwordReasonMessage(key: string, t: TFunction<'auth'>): string {
  return t(`password.reason.${key}`, { defaultValue: t('password.reason.weak'), minimum: 12, maximum: 256 });
}

/**
 * A new password as the form's check: the length rule at once, the rest once the rules have loaded (the
 * server checks again either way). Returns the message to show next to the field, or null.
 */
export function newPasswordError(value: string, rules: Rules | null, context: PasswordContext, t: TFunction<'auth'>): string | null {
  if (value.length === 0) return t('password.required');
  const rejection = rules ? rules.localPasswordRejection(value, context) : [...value.normalize('NFKC')].length < 12 ? 'too_short' : null;
  return rejection === null ? null : passwordReasonMessage(rejection, t);
}

/** The server's refusal of a password, in the user's language: `reason` is the rule's key (weak_password). */
export function serverPasswordError(problem: unknown, t: TFunction<'auth'>): string | null {
  if (!isProblem(problem, 'weak_password')) return null;
  const key = typeof problem.body.reason === 'string' ? problem.body.reason : 'weak';
  return passwordReasonMessage(key, t);
}

const SCORE_COLOR = ['red', 'red', 'orange', 'teal', 'green'] as const;

/**
 * A new-password input with live strength feedback: a meter (zxcvbn's score) and, in words, the first rule
 * the password breaks or that it is good. The words are announced politely as the user types.
 */
export function NewPasswordInput({
  context,
  rules,
  ...input
}: PasswordInputProps & { context: PasswordContext; rules: Rules | null; value: string }) {
  const { t } = useTranslation('auth');
  const value = input.value;
  const strength = useMemo(() => (rules && value ? rules.passwordStrength(value, context) : null), [rules, value, context]);
  const feedbackId = `${input.id ?? 'new-password'}-strength`;
  const score = strength ? strength.score : 0;
  const words =
    value.length === 0
      ? t('password.hint')
      : strength === null
        ? t('password.checking')
        : strength.rejection
          ? passwordReasonMessage(strength.rejection, t)
          : t('password.good');
  return (
    <div>
      <PasswordInput autoComplete="new-password" aria-describedby={feedbackId} {...input} />
      <Progress
        value={value.length === 0 ? 0 : ((score + 1) / 5) * 100}
        color={strength?.rejection ? 'red' : SCORE_COLOR[score]}
        size="sm"
        mt={6}
        aria-hidden
      />
      <Group gap={4} mt={4}>
        <Text size="sm" c={strength && !strength.rejection ? 'green.9' : 'gray.7'} id={feedbackId} aria-live="polite">
          {words}
        </Text>
      </Group>
    </div>
  );
}
