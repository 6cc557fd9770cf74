import { Accordion, Button, Collapse, Group, List, Paper, Text } from '@mantine/core';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';

/**
 * The guide's topics in the order a new master needs them, each with its number of steps (team.json
 * `guide.<topic>.steps.<n>`, one key per step so an untranslated step falls back to English on its own).
 */
const TOPICS = [
  ['invite', 4],
  ['groups', 3],
  ['restrict', 3],
  ['revoke', 4],
  ['audit', 3],
] as const;
const STORAGE_KEY = 'pactum.teamGuide';

function rememberedOpen(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) !== 'closed';
  } catch {
    return true;
  }
}

/**
 * Help for masters, in place (promise 2: training in their administrative tasks): short steps for inviting,
 * access groups, restricting a contract, revoking with hand-over and reading the audit trail. Open until a
 * master closes it; the choice is remembered. docs/admin-guide.md walks through the same tasks.
 */
export function TeamGuide() {
  const { t } = useTranslation('team');
  const [open, setOpen] = useState(rememberedOpen);
  // Kept here, outside the Collapse (which unmounts its content while closed and may re-render it while
  // opening): a topic opened stays open, also when it was chosen while the guide was still expanding.
  const [openTopics, setOpenTopics] = useState<string[]>([]);
  const panelId = useId();

  function toggle() {
    const next = !open;
    setOpen(next);
    try {
      localStorage.setItem(STORAGE_KEY, next ? 'open' : 'closed');
    } catch {
      // Private windows may refuse storage; the guide still opens and closes.
    }
  }

  return (
    <Paper withBorder radius="sm" p="sm" component="section" aria-label={t('guide.title')}>
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <Text fw={600} size="sm">
          {t('guide.title')}
        </Text>
        <Button size="xs" variant="subtle" onClick={toggle} aria-expanded={open} aria-controls={panelId}>
          {open ? t('guide.hide') : t('guide.show')}
        </Button>
      </Group>
      <Collapse expanded={open} id={panelId}>
        <Text size="sm" c="gray.7" mt={4} mb="xs">
          {t('guide.intro')}
        </Text>
        <Accordion variant="separated" multiple chevronPosition="left" value={openTopics} onChange={setOpenTopics}>
          {TOPICS.map(([topic, steps]) => (
            <Accordion.Item key={topic} value={topic}>
              <Accordion.Control>
                <Text size="sm" fw={500}>
                  {t(`guide.${topic}.title`)}
                </Text>
              </Accordion.Control>
              <Accordion.Panel>
                <List type="ordered" size="sm" spacing={4}>
                  {Array.from({ length: steps }, (_, index) => (
                    <List.Item key={index}>{t(`guide.${topic}.steps.${index + 1}`)}</List.Item>
                  ))}
                </List>
              </Accordion.Panel>
            </Accordion.Item>
          ))}
        </Accordion>
      </Collapse>
    </Paper>
  );
}
