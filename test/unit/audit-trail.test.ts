import { describe, expect, it, vi } from 'vitest';
import { auditEvent } from '../../shared/domain/audit.js';
import { type Anchor, anchorOf, link, type StoredChain } from '../../shared/domain/audit-chain.js';
import {
  type AnchorStore,
  anchorTrails,
  toVerificationView,
  verifyAudit,
} from '../../shared/domain/audit-trail.js';
import { NotFoundError } from '../../shared/domain/errors.js';
import { actor } from '../support/engines.js';
import { AT, alice, clock, INTEGRATION, recordingStore } from '../support/recording-store.js';

/**
 * Verifying and anchoring integrations' audit trails, over chains built here with the chain's own
 * link(): what a report says, which trails are anchored and which refused. The chains as DynamoDB
 * Local stores them, tampered with in place, are in test/connected/audit-chain.test.ts.
 */
function chainOf(item: string, count: number, integrationId = INTEGRATION.id): StoredChain {
  let head: string | undefined;
  const events = Array.from({ length: count }, (_, i) => {
    const event = auditEvent(alice, new Date(AT.getTime() + i), 'key.identified', integrationId, 'key_x');
    const linked = { ...event, ...link(event, head) };
    head = linked.hash;
    return linked;
  });
  return { item, events, head };
}

function anchorStore(latest: Record<string, Anchor> = {}) {
  return {
    put: vi.fn<AnchorStore['put']>(async () => {}),
    latest: vi.fn<AnchorStore['latest']>(async (_, integrationId) => latest[integrationId]),
  };
}

const chainStore = (byIntegration: Record<string, StoredChain[]>) => ({
  auditChains: vi.fn(async (_accountId: string, integrationId: string) => byIntegration[integrationId] ?? []),
  accountChains: vi.fn(async () => []),
});

describe('verify an integration’s audit trail', () => {
  it('reports the chains, their events and the head, when it was verified, and against which anchor', async () => {
    const chains = [chainOf('integration', 2), chainOf('key key_x', 3)];
    const anchor = anchorOf('acme', INTEGRATION.id, chains, AT);
    const deps = {
      store: recordingStore(),
      chains: chainStore({ [INTEGRATION.id]: chains }),
      clock,
      anchors: anchorStore({ [INTEGRATION.id]: anchor }),
    };
    const report = await verifyAudit(deps, alice, INTEGRATION.id);
    expect(deps.chains.auditChains).toHaveBeenCalledWith('acme', INTEGRATION.id);
    expect(report).toMatchObject({
      integrationId: INTEGRATION.id,
      verifiedAt: AT.toISOString(),
      ok: true,
      events: 5,
    });
    const view = toVerificationView(report);
    expect(view).toMatchObject({ ok: true, events: 5, break: null, integrationId: INTEGRATION.id });
    expect(view.chains).toStrictEqual([
      { item: 'integration', events: 2, head: chains[0]?.head },
      { item: 'key key_x', events: 3, head: chains[1]?.head },
    ]);
    expect(view.anchor).not.toBeNull();
    expect(view.head).toBe(anchor.head);
  });

  it('without anchoring, the chains alone; an edited event is the break the view names', async () => {
    const chains = [chainOf('integration', 3)];
    const edited = chains[0]?.events[1];
    if (edited) edited.actor = 'mallory';
    const deps = { store: recordingStore(), chains: chainStore({ [INTEGRATION.id]: chains }), clock };
    const view = toVerificationView(await verifyAudit(deps, alice, INTEGRATION.id));
    expect(view.ok).toBe(false);
    expect(view.anchor).toBeNull();
    expect(view.break).toMatchObject({ item: 'integration', eventId: edited?.id, reason: 'edited' });
    expect(view.break?.message).toEqual(expect.any(String));
  });

  it("another account's integration is not found, and its chains are not read", async () => {
    const deps = { store: recordingStore(), chains: chainStore({}), clock };
    await expect(verifyAudit(deps, actor('globex', 'gina'), INTEGRATION.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(deps.chains.auditChains).not.toHaveBeenCalled();
  });
});

describe('anchor the trails', () => {
  async function* integrations(...ids: string[]) {
    for (const integrationId of ids) yield { accountId: 'acme', integrationId };
  }

  it('anchors each intact trail at its current heads, and refuses a broken one (never made the reference)', async () => {
    const good = [chainOf('integration', 2, 'int_good')];
    const broken = [chainOf('integration', 2, 'int_broken')];
    const tampered = broken[0]?.events[0];
    if (tampered) tampered.action = 'key.revealed';
    const anchors = anchorStore();
    const run = await anchorTrails(
      { store: recordingStore(), chains: chainStore({ int_good: good, int_broken: broken }), clock, anchors },
      integrations('int_good', 'int_broken'),
    );
    expect(run.anchored).toBe(1);
    expect(run.broken).toStrictEqual([
      { accountId: 'acme', integrationId: 'int_broken', item: 'integration', reason: 'edited' },
    ]);
    const [[put]] = anchors.put.mock.calls as [[Anchor]];
    expect(put).toStrictEqual(anchorOf('acme', 'int_good', good, AT));
  });

  it('a trail rewritten since the last anchor is refused against that anchor', async () => {
    const before = [chainOf('integration', 2, 'int_a')];
    const anchor = anchorOf('acme', 'int_a', before, AT);
    const rewritten = [chainOf('integration', 1, 'int_a')];
    const anchors = anchorStore({ int_a: anchor });
    const run = await anchorTrails(
      { store: recordingStore(), chains: chainStore({ int_a: rewritten }), clock, anchors },
      integrations('int_a'),
    );
    expect(run.anchored).toBe(0);
    expect(run.broken).toHaveLength(1);
    expect(anchors.latest).toHaveBeenCalledWith('acme', 'int_a');
    expect(anchors.put).not.toHaveBeenCalled();
  });
});
