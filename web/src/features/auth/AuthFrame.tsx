import { Box, Center, Group, Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { LanguagePicker } from '../../components/LanguagePicker';
import { PageTitle } from '../../components/PageTitle';

/** The frame of every screen before sign-in: the product's name, one card, the language choice. */
export function AuthFrame({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main" id="main">
      <Stack w="100%" maw={420} gap="md">
        <Text fw={700} size="xl" ta="center">
          Pactum
        </Text>
        <Paper withBorder p="lg" radius="md" shadow="xs">
          <PageTitle title={title} />
          {children}
        </Paper>
        {footer && (
          <Group justify="center" gap="lg">
            {footer}
          </Group>
        )}
        <Box maw={200} mx="auto">
          <LanguagePicker />
        </Box>
      </Stack>
    </Center>
  );
}
