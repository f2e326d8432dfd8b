import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';

describe('DynamoDB Local launcher', () => {
  it('on a busy port it fails (instead of taking another server for DynamoDB) and leaves nothing behind', async () => {
    const sockets = new Set<Socket>();
    const squatter: Server = createServer((socket) => {
      sockets.add(socket);
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', () => resolve()));
    const address = squatter.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('ssk-ddb-'));
    try {
      await expect(startDynamoDbLocal({ port, readyTimeoutMs: 4_000 })).rejects.toThrow(
        /did not answer on port/,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    const after = readdirSync(tmpdir()).filter((name) => name.startsWith('ssk-ddb-'));
    expect(after.filter((name) => !before.includes(name))).toEqual([]);
  }, 30_000);
});
