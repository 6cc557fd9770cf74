import { Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** Every empty screen says what to do next, with the one button that does it (UI.md). */
export function EmptyState({ title, body, action }: { title: string; body?: string; action?: ReactNode }) {
  return (
    <Paper withBorder p="xl" radius="sm">
      <Stack align="flex-start" gap="sm">
        <Text fw={600}>{title}</Text>
        {body && <Text c="dimmed">{body}</Text>}
        {action}
      </Stack>
    </Paper>
  );
}
