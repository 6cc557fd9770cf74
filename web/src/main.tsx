import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './app/global.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { setNonce } from 'get-nonce';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { styleNonce } from './app/csp-nonce';
import { queryClient } from './app/query-client';
import { router } from './app/router';
import { theme } from './app/theme';
import { setupI18n } from './i18n';

async function start() {
  await setupI18n();
  const nonce = styleNonce();
  // Mantine's modals lock scrolling with react-remove-scroll, whose <style> tag takes its nonce from get-nonce.
  if (nonce !== undefined) setNonce(nonce);
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="light" getStyleNonce={nonce === undefined ? undefined : () => nonce}>
        <Notifications position="top-right" />
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}

void start();
