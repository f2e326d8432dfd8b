import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';

/**
 * SNS and EventBridge, as far as the service uses them, on 127.0.0.1: SNS `Publish` (the query
 * protocol, XML answers) and EventBridge `PutEvents` (JSON 1.1), so the jobs' real SDK clients run
 * locally. Nothing is delivered anywhere: every accepted message is appended to the outbox file, one
 * JSON object a line, and handed to `onEntry` (which `npm start` prints as one line).
 */
export type OutboxEntry =
  | {
      channel: 'sns';
      at: string;
      subject?: string;
      message: string;
      attributes: Record<string, string>;
    }
  | { channel: 'eventbridge'; at: string; source: string; detailType: string; detail: unknown };

export type NotifyFault = 'none' | 'throttle' | 'unavailable';

export interface NotifyStandIn {
  endpoint: string;
  /** Make the named operations (`Publish`, `PutEvents`; all when omitted) fail until set back to 'none'. */
  setFault(fault: NotifyFault, operations?: string[], times?: number): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const xml = (value: string) =>
  value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

export async function startNotifyStandIn(options: {
  outbox: string;
  onEntry?: (entry: OutboxEntry) => void;
  port?: number;
}): Promise<NotifyStandIn> {
  mkdirSync(dirname(options.outbox), { recursive: true });
  let fault: { kind: NotifyFault; operations?: string[]; left: number } = { kind: 'none', left: 0 };
  const record = (entry: OutboxEntry) => {
    appendFileSync(options.outbox, `${JSON.stringify(entry)}\n`);
    options.onEntry?.(entry);
  };
  const faulted = (operation: string) => {
    if (fault.kind === 'none' || (fault.operations && !fault.operations.includes(operation))) return false;
    if (fault.left > 0 && --fault.left === 0) {
      const kind = fault.kind;
      fault = { kind: 'none', left: 0 };
      return kind;
    }
    return fault.kind;
  };

  function sns(body: string, res: ServerResponse) {
    const form = new URLSearchParams(body);
    const action = form.get('Action');
    const requestId = randomUUID();
    if (action !== 'Publish') {
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>The stand-in serves Publish only</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const failure = faulted('Publish');
    if (failure) {
      const [status, code] = failure === 'throttle' ? [400, 'Throttling'] : [500, 'InternalError'];
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse><Error><Type>${status === 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>injected</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const attributes: Record<string, string> = {};
    for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
      const name = form.get(`MessageAttributes.entry.${i}.Name`) ?? '';
      // SNS refuses an attribute whose type is not String, Number or Binary (each with an optional suffix).
      const type = form.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? '';
      if (!/^(String|Number|Binary)(\.|$)/.test(type)) {
        res.writeHead(400, { 'content-type': 'text/xml' });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>ParameterValueInvalid</Code><Message>The message attribute '${xml(name)}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
        return;
      }
      attributes[name] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
    }
    const subject = form.get('Subject') ?? undefined;
    record({
      channel: 'sns',
      at: new Date().toISOString(),
      ...(subject ? { subject } : {}),
      message: form.get('Message') ?? '',
      attributes,
    });
    const messageId = randomUUID();
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${xml(messageId)}</MessageId></PublishResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  function events(target: string, body: string, res: ServerResponse) {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(value));
    };
    if (target !== 'AWSEvents.PutEvents') {
      json(400, { __type: 'UnknownOperationException', message: 'The stand-in serves PutEvents only' });
      return;
    }
    const failure = faulted('PutEvents');
    if (failure === 'throttle') return json(400, { __type: 'ThrottlingException', message: 'injected' });
    if (failure === 'unavailable') return json(500, { __type: 'InternalException', message: 'injected' });
    const input = JSON.parse(body) as {
      Entries?: { Source?: string; DetailType?: string; Detail?: string }[];
    };
    const entries = input.Entries ?? [];
    for (const entry of entries) {
      record({
        channel: 'eventbridge',
        at: new Date().toISOString(),
        source: entry.Source ?? '',
        detailType: entry.DetailType ?? '',
        detail: JSON.parse(entry.Detail ?? '{}'),
      });
    }
    json(200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const target = req.headers['x-amz-target'];
        if (typeof target === 'string') events(target, body, res);
        else sns(body, res);
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFault(kind, operations, times = 0) {
      fault = { kind, operations, left: times };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The one line `npm start` prints for an outbox entry: what happened, never a message body. */
export function outboxLine(entry: OutboxEntry): string {
  if (entry.channel === 'sns') return `  [outbox] SNS      ${entry.subject ?? '(no subject)'}`;
  const detail = entry.detail as {
    action?: string;
    keyId?: string;
    integrationId?: string;
    accountId?: string;
  };
  const about = [detail.accountId, detail.integrationId, detail.keyId].filter(Boolean).join(' / ');
  return `  [outbox] event    ${entry.detailType}${about ? `  (${about})` : ''}`;
}
