import type * as z from 'zod/mini';
import type * as R from '../http/response-schemas.js';
import { type Anchor, anchorOf, type StoredChain, type TrailReport, verifyTrail } from './audit-chain.js';
import type { Actor } from './model.js';
import type { Clock, KeyStore } from './ports.js';
import { getIntegration } from './service.js';

/** Where anchors go: a store no table writer can rewrite (S3 Object Lock in compliance mode). */
export interface AnchorStore {
  put(anchor: Anchor): Promise<void>;
  /** The newest anchor of an integration's trail, if any. */
  latest(accountId: string, integrationId: string): Promise<Anchor | undefined>;
}

/** The audit chains as stored, read consistently (shared/adapters/dynamodb/audit.ts). */
export interface ChainStore {
  /** An integration's chains: its own item's and each of its key items'. Empty when it does not exist. */
  auditChains(accountId: string, integrationId: string): Promise<StoredChain[]>;
  /** The account's own chains: its settings items'. */
  accountChains(accountId: string): Promise<StoredChain[]>;
}

export interface AuditDeps {
  store: Pick<KeyStore, 'getIntegration' | 'listIntegrations'>;
  chains: ChainStore;
  clock: Clock;
  /** Absent when anchoring is off: the chains alone are verified. */
  anchors?: AnchorStore;
}

export type AuditVerification = TrailReport & { integrationId: string; verifiedAt: string };

/** Recomputes an integration's audit trail and reports the first break (GET …/audit/verify). */
export async function verifyAudit(
  deps: AuditDeps,
  actor: Actor,
  integrationId: string,
): Promise<AuditVerification> {
  await getIntegration(deps, actor, integrationId);
  return verifyIntegration(deps, actor.accountId, integrationId);
}

/** The same for any integration, by account (the audit:verify command and the anchor job). */
export async function verifyIntegration(
  deps: AuditDeps,
  accountId: string,
  integrationId: string,
): Promise<AuditVerification> {
  const [chains, anchor] = await Promise.all([
    deps.chains.auditChains(accountId, integrationId),
    deps.anchors?.latest(accountId, integrationId),
  ]);
  return {
    integrationId,
    verifiedAt: deps.clock.now().toISOString(),
    ...verifyTrail(chains, anchor),
  };
}

export interface AnchorRun {
  anchored: number;
  /** Trails that failed verification: not anchored, so a tampered state is never made the reference. */
  broken: { accountId: string; integrationId: string; item: string; reason: string }[];
}

/** Writes each integration's current heads to the anchor store, after verifying its trail. */
export async function anchorTrails(
  deps: Required<AuditDeps>,
  integrations: AsyncIterable<{ accountId: string; integrationId: string }>,
): Promise<AnchorRun> {
  const run: AnchorRun = { anchored: 0, broken: [] };
  for await (const { accountId, integrationId } of integrations) {
    const chains = await deps.chains.auditChains(accountId, integrationId);
    const report = verifyTrail(chains, await deps.anchors.latest(accountId, integrationId));
    if (report.break) {
      run.broken.push({ accountId, integrationId, item: report.break.item, reason: report.break.reason });
      continue;
    }
    await deps.anchors.put(anchorOf(accountId, integrationId, chains, deps.clock.now()));
    run.anchored++;
  }
  return run;
}

export type AuditVerificationView = z.infer<typeof R.AuditVerification>;

export function toVerificationView(report: AuditVerification): AuditVerificationView {
  return {
    integrationId: report.integrationId,
    verifiedAt: report.verifiedAt,
    ok: report.ok,
    events: report.events,
    unchained: report.unchained,
    head: report.head,
    chains: report.chains.map(({ item, events, head }) => ({ item, events, head: head ?? null })),
    break: report.break
      ? {
          item: report.break.item,
          eventId: report.break.eventId ?? null,
          reason: report.break.reason,
          message: report.break.message,
        }
      : null,
    anchor: report.anchor ?? null,
  };
}
