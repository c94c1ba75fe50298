/**
 * The node and fastify servers listen with a backlog that holds the challenge's 1,000 connections
 * opened at once (`LISTEN_BACKLOG`, capped by the kernel's `net.core.somaxconn`). With Node's
 * default of 511 the kernel dropped the handshakes past it, and a dropped client waited out its SYN
 * retransmissions: 47 requests timed out at 31 s in one `pnpm challenge` on Node 22. The backlog is
 * read back from the kernel (`ss`: a listening socket's Send-Q is its backlog).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { LISTEN_BACKLOG } from '@1mrc/server';
import { ADAPTERS } from '@1mrc/testkit';
import { describe, expect, it } from 'vitest';

const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

function backlogOf(port: number): number {
  const line = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  // State Recv-Q Send-Q Local Peer: for a listening socket, Send-Q is the backlog.
  return Number(line.split(/\s+/)[2]);
}

describe('listen backlog', () => {
  for (const name of ['node', 'fastify'] as const) {
    it(`${name}: holds 1,000 connections opened at once`, async () => {
      const server = await ADAPTERS[name]({ port: 0 });
      try {
        // Where somaxconn is below 1,000 (old kernels), the kernel's cap is the machine's to raise.
        expect(backlogOf(server.port)).toBe(Math.min(LISTEN_BACKLOG, somaxconn));
      } finally {
        await server.close();
      }
    });
  }
});
