/** Reading `GET /stats`, from one server or from several that share one store. */
import type { Snapshot } from '@1mrc/core';
import { request } from 'undici';
import { FIELDS } from './expected.js';

/** GET /stats; a field that is not a number reads as NaN, so it fails validation by name. */
export async function readStats(url: string): Promise<Snapshot> {
  let statusCode: number;
  let text: string;
  try {
    const response = await request(`${url}/stats`, {
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      reset: true,
    });
    statusCode = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    throw new Error(`GET ${url}/stats failed: ${(error as Error).message}`);
  }
  if (statusCode !== 200) throw new Error(`GET ${url}/stats answered ${statusCode}: ${text.slice(0, 200)}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error(`GET ${url}/stats answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  const field = (name: string): number =>
    typeof json[name] === 'number' ? (json[name] as number) : Number.NaN;
  return {
    totalRequests: field('totalRequests'),
    uniqueUsers: field('uniqueUsers'),
    sum: field('sum'),
    avg: field('avg'),
  };
}

export interface Reading {
  /** What the first server said: with one store, what every server must say. */
  readonly snapshot: Snapshot;
  /** Each server's own answer, in the order of the URLs. */
  readonly each: readonly { readonly url: string; readonly snapshot: Snapshot }[];
  /** Empty when they all agree; otherwise one line naming the servers that differ. */
  readonly disagreement: string;
}

const same = (a: Snapshot, b: Snapshot): boolean => FIELDS.every((f) => Object.is(a[f], b[f]));

/** Reads /stats from every server, one after another, and says whether they agree. */
export async function readEveryServer(urls: readonly string[], when: string): Promise<Reading> {
  const each: { url: string; snapshot: Snapshot }[] = [];
  for (const url of urls) each.push({ url, snapshot: await readStats(url) });
  const first = each[0] as { url: string; snapshot: Snapshot };
  const differ = each.filter((e) => !same(e.snapshot, first.snapshot));
  const disagreement =
    differ.length === 0
      ? ''
      : `the servers disagree on /stats ${when}: ${each.map((e) => `${e.url} says ${JSON.stringify(e.snapshot)}`).join('; ')}`;
  return { snapshot: first.snapshot, each, disagreement };
}
