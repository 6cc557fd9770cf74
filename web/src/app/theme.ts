import { createTheme } from '@mantine/core';

/** Calm and dense, like a back-office tool: one accent, small radius, compact defaults. */
export const theme = createTheme({
  primaryColor: 'indigo',
  // Shade 8 keeps links and buttons at WCAG AA contrast on white; Mantine's default 6 does not.
  primaryShade: { light: 8, dark: 5 },
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  headings: { fontWeight: '600' },
  components: {
    Table: { defaultProps: { highlightOnHover: true, verticalSpacing: 'xs' } },
  },
});
