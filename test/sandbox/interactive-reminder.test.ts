// The interactive sign-in says something when the browser does not come back (an Entra error page
// never redirects), and still finishes when it then does. acquireToken against the stand-in, with
// the reminder brought forward so the test need not wait a minute.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve.js';
import { SANDBOX, startSandbox, type SandboxWorld } from '../../src/sandbox/world.js';
import { acquireToken } from '../../src/token/acquire.js';
import { actAsBrowser } from '../support/browser.js';

let world: SandboxWorld;
let dir: string;
beforeAll(async () => {
  world = await startSandbox({ app: { publicClient: true } });
  world.identity.setInteractiveUser({ upn: SANDBOX.user });
  dir = mkdtempSync(join(tmpdir(), 'imap-oauth-reminder-'));
  writeFileSync(join(dir, 'ca.pem'), world.caPem);
});
afterAll(async () => {
  await world?.close();
  rmSync(dir, { recursive: true, force: true });
});

const interactiveConfig = () =>
  resolveConfig({
    flags: { flow: 'interactive', browser: false, tenant: SANDBOX.tenantId, clientId: SANDBOX.clientId, authorityHost: world.identity.url, caFile: 'ca.pem', timeout: '5' },
    env: {},
    cwd: dir,
    stdoutIsTTY: false,
  });

it('reminds once after the set time, then completes when the browser comes back', async () => {
  const config = interactiveConfig();
  const events: string[] = [];
  let signInUrl = '';
  const result = await acquireToken(config, {
    signInReminderMs: 50,
    onSignInUrl: (url) => {
      events.push('url');
      signInUrl = url;
    },
    onSignInWaiting: () => {
      events.push('reminder');
      void actAsBrowser(signInUrl, world.caPem); // the user, reminded, finishes signing in
    },
  });
  expect(result.report).toMatchObject({ ok: true, source: 'interactive' });
  expect(events).toEqual(['url', 'reminder']);
});

it('says nothing when the browser comes back in time', async () => {
  const config = interactiveConfig();
  let reminded = false;
  const result = await acquireToken(config, {
    signInReminderMs: 60_000,
    onSignInUrl: (url) => void actAsBrowser(url, world.caPem),
    onSignInWaiting: () => (reminded = true),
  });
  expect(result.report.ok).toBe(true);
  expect(reminded).toBe(false);
});
