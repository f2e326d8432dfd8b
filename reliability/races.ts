import { fork } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../infra/paths.js';

/**
 * Exactly once under concurrency, through HTTP: each round creates an integration (its key viewable
 * once) and fires 2 to 64 reveals at it at once, from several users of one account and from several
 * client processes. Counted: rounds with more than one secret, rounds whose secret was lost (the key
 * unviewable and nobody got it), 410s that do not name the winner, and audit trails without exactly
 * one `key.revealed`.
 */
export interface RaceFigures {
  rounds: number;
  requests: number;
  doubleReveals: number;
  lostSecrets: number;
  unnamed410s: number;
  auditMismatches: number;
  unexpected: number;
  secrets: string[];
}

interface Target {
  url: string;
  token(account: string, user: string): Promise<string>;
}

/** A running local server as the races' target, keeping every token it hands out for the leak scan. */
export function raceTarget(
  server: { url: string; token(account: string, user: string): Promise<string> },
  tokens: string[],
): Target {
  return {
    url: server.url,
    token: async (account, user) => {
      const token = await server.token(account, user);
      tokens.push(token);
      return token;
    },
  };
}

type Answer = { status: number; body: string; user: string };

/** A client process: fires the reveals it is given at once when told, and reports the answers. */
function clientProcess() {
  const child = fork(join(ROOT, 'reliability', 'race-client.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let waiting: ((answers: Answer[]) => void) | undefined;
  child.on('message', (answers) => waiting?.(answers as Answer[]));
  return {
    fire(requests: { url: string; token: string; user: string }[]) {
      return new Promise<Answer[]>((resolve) => {
        waiting = resolve;
        child.send(requests);
      });
    },
    stop: () => child.kill(),
  };
}

export async function raceReveals(
  target: Target,
  options: { rounds: number; clients?: number; users?: number },
) {
  const account = `race-${Date.now()}`;
  const users = Array.from({ length: options.users ?? 6 }, (_, i) => `user${i}`);
  const tokens = new Map(
    await Promise.all(users.map(async (user) => [user, await target.token(account, user)] as const)),
  );
  const clients = Array.from({ length: options.clients ?? 3 }, clientProcess);
  const figures: RaceFigures = {
    rounds: 0,
    requests: 0,
    doubleReveals: 0,
    lostSecrets: 0,
    unnamed410s: 0,
    auditMismatches: 0,
    unexpected: 0,
    secrets: [],
  };
  const admin = tokens.get(users[0] ?? '') ?? '';
  const api = (path: string, init: RequestInit = {}) =>
    fetch(target.url + path, {
      ...init,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    });
  try {
    for (let round = 0; round < options.rounds; round++) {
      const concurrency = 2 + (round % 63);
      const created = (await (
        await api('/integrations', { method: 'POST', body: JSON.stringify({ name: `r${round}` }) })
      ).json()) as {
        integration: { id: string };
        key: { id: string };
      };
      const path = `/integrations/${created.integration.id}/keys/${created.key.id}/reveal`;
      const requests = Array.from({ length: concurrency }, (_, i) => {
        const user = users[i % users.length] ?? '';
        return { url: target.url + path, token: tokens.get(user) ?? '', user };
      });
      const shares = clients.map((_, c) => requests.filter((__, i) => i % clients.length === c));
      const answers = (await Promise.all(clients.map((client, c) => client.fire(shares[c] ?? [])))).flat();
      figures.rounds++;
      figures.requests += answers.length;
      const winners = answers.filter((answer) => answer.status === 200);
      for (const winner of winners)
        figures.secrets.push((JSON.parse(winner.body) as { secret: string }).secret);
      if (winners.length > 1) figures.doubleReveals++;
      const winnerUser = winners[0]?.user;
      for (const answer of answers) {
        if (answer.status === 410) {
          const error = (JSON.parse(answer.body) as { error: { viewedBy?: string } }).error;
          if (!winnerUser || error.viewedBy !== winnerUser) figures.unnamed410s++;
        } else if (answer.status !== 200 && answer.status !== 503) figures.unexpected++;
      }
      const keys = (await (await api(`/integrations/${created.integration.id}/keys`)).json()) as {
        items: { id: string; viewable: boolean }[];
      };
      const viewable = keys.items.find((key) => key.id === created.key.id)?.viewable;
      if (winners.length === 0 && viewable === false) figures.lostSecrets++;
      const audit = (await (await api(`/integrations/${created.integration.id}/audit?limit=100`)).json()) as {
        items: { action: string }[];
      };
      const revealed = audit.items.filter((event) => event.action === 'key.revealed').length;
      if (revealed !== (viewable ? 0 : 1)) figures.auditMismatches++;
    }
  } finally {
    for (const client of clients) client.stop();
  }
  return figures;
}
