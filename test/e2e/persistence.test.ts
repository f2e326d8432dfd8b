import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newLocalKey } from '../../local/dev-auth.js';
import { startLocalServer } from '../support/local-server.js';

const dataDir = mkdtempSync(join(tmpdir(), 'ssk-data-'));
// One issuer key across the restart, as .local/dev-jwt-key.json gives a checkout.
const LOCAL_JWT_KEY = await newLocalKey();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start with DATA_DIR', () => {
  it('keeps integrations and the still-viewable key across a restart, and the key still decrypts', async () => {
    const first = await startLocalServer({ DATA_DIR: dataDir, LOCAL_JWT_KEY });
    const token = await first.token('persist', 'alice');
    const created = (await (
      await first.request('/integrations', { method: 'POST', token, json: { name: 'Survivor' } })
    ).json()) as { integration: { id: string }; key: { id: string } };
    expect(await first.interrupt()).toBe(0);

    const second = await startLocalServer({ DATA_DIR: dataDir, LOCAL_JWT_KEY });
    try {
      const again = await second.token('persist', 'alice');
      const list = (await (await second.request('/integrations', { token: again })).json()) as {
        items: { id: string }[];
      };
      expect(list.items.map((i) => i.id)).toEqual([created.integration.id]);
      const reveal = await second.request(
        `/integrations/${created.integration.id}/keys/${created.key.id}/reveal`,
        {
          method: 'POST',
          token: again,
        },
      );
      expect(reveal.status).toBe(200);
      expect(((await reveal.json()) as { secret: string }).secret).toMatch(/^ssk_/);
    } finally {
      await second.interrupt();
    }
  }, 120_000);
});
