/**
 * The audit trail's filters, kept in the URL (`/team/audit?action=group.*&from=2026-11-01`) so a view can be
 * shared. Its own small module: the router imports it, and the screen itself stays in its lazy chunk.
 */
export interface AuditSearch {
  action?: string;
  actor?: string;
  from?: string;
  to?: string;
}

export const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The server's pattern for `action`: an exact action or a family (`group.*`). */
const ACTION = /^[a-z][a-z_.]{0,99}(\.\*)?$/;

/** Only what the server would accept stays in the URL; anything else is dropped rather than answered with a 400. */
export function validateAuditSearch(search: Record<string, unknown>): AuditSearch {
  const pick = (value: unknown, pattern: RegExp) => (typeof value === 'string' && pattern.test(value) ? value : undefined);
  return { action: pick(search.action, ACTION), actor: pick(search.actor, UUID), from: pick(search.from, DAY), to: pick(search.to, DAY) };
}
