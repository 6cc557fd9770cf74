import { Group, Title } from '@mantine/core';
import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The page's one h1 and the document title. On arrival the heading takes focus, so a screen reader
 * announces the new page and Tab starts from the top of its content (route-change focus management).
 */
export function PageTitle({ title, actions }: { title: string; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Pactum`;
  }, [title]);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <Group justify="space-between" align="center" mb="md" wrap="wrap">
      <Title order={1} size="h2" ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
        {title}
      </Title>
      {actions}
    </Group>
  );
}
