/** Reports for people: a text summary, a Markdown table, a small SVG bar chart, and the files. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChallengeReport, LatencySummary } from './challenge.js';
import type { FieldCheck } from './expected.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (us: number): string => (us / 1000).toFixed(us < 10_000 ? 2 : 1);
const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(1) : 'n/a');
const secs = (s: number): string => (Number.isFinite(s) ? s.toFixed(2) : 'n/a');

export function rate(report: ChallengeReport): number {
  return report.options.batch === null ? report.requestsPerSecond : report.eventsPerSecond;
}

function rateUnit(report: ChallengeReport): string {
  return report.options.batch === null ? 'req/s' : 'events/s';
}

export function errorSummary(report: ChallengeReport): string {
  const kinds = Object.entries(report.errors).map(([kind, n]) => `${kind}: ${int.format(n)}`);
  if (report.notSent > 0) kinds.push(`not sent: ${int.format(report.notSent)}`);
  return kinds.length === 0 ? 'none' : kinds.join(', ');
}

const latency = (l: LatencySummary): string =>
  `p50 ${ms(l.p50)} ms · p90 ${ms(l.p90)} ms · p99 ${ms(l.p99)} ms · p99.9 ${ms(l.p999)} ms · max ${ms(l.max)} ms`;

function serverEnv(report: ChallengeReport): string {
  const env = Object.entries(report.options.serverEnv ?? {});
  return env.length === 0 ? '' : ` · server ${env.map(([k, v]) => `${k}=${v}`).join(' ')}`;
}

function setupLine(report: ChallengeReport): string {
  const o = report.options;
  const shape =
    o.batch === null
      ? `${int.format(o.requests)} POST /event`
      : `${int.format(o.requests)} events in ${int.format(report.httpRequests)} POST /events of ${o.batch}`;
  const threads = o.clientThreads > 1 ? ` · ${o.clientThreads} client threads` : '';
  const rateMode = o.rate === null ? '' : ` · rate ${int.format(o.rate)} req/s`;
  return `  ${shape} · ${int.format(o.concurrency)} connections · pipelining ${o.pipelining} · ${int.format(o.users)} users · pattern ${o.pattern}${threads} · ${o.engine} engine${rateMode}${serverEnv(report)}`;
}

function checkLine(check: FieldCheck): string {
  const wanted = check.range ? `${check.range[0]} .. ${check.range[1]}` : String(check.expected);
  let detail = check.ok ? String(check.actual) : `expected ${wanted}, got ${check.actual}`;
  if (check.ok && check.range) detail += `  (accepted ${wanted})`;
  if (check.ulpsOff !== undefined) {
    detail += `: ${int.format(check.ulpsOff)} ulps off, relative error ${(check.relativeError ?? Number.NaN).toExponential(2)}`;
  }
  return `    ${check.ok ? '✓' : '✗'} ${check.field.padEnd(14)}${detail}${check.note ? `  (${check.note})` : ''}`;
}

function statsLine(report: ChallengeReport): string {
  const servers = report.urls.length > 1 ? `${report.urls.length} servers agree; ` : '';
  const how = report.validation.fresh
    ? 'fresh server: every field checked exactly'
    : `server was not fresh: the change is checked${report.userPrefix === 'user_' ? '' : ` (userIds ${report.userPrefix}…)`}`;
  return `  /stats    ${servers}${how}`;
}

export function formatReport(report: ChallengeReport): string {
  const { latencyUs: l, openModel } = report;
  const lines = [
    `${report.ok ? 'PASS' : 'FAIL'}  ${report.target}${report.target === report.urls.join(',') ? '' : `  ${report.urls.join(', ')}`}`,
    setupLine(report),
    `  time      ${(report.durationMs / 1000).toFixed(3)} s   ${int.format(rate(report))} ${rateUnit(report)}`,
  ];
  if (openModel) {
    lines.push(
      `  rate      ${openModel.verdict}`,
      `  latency   corrected (from the scheduled send)  ${latency(openModel.correctedUs)}`,
      `            uncorrected (from the actual send)   ${latency(l)}`,
    );
  } else lines.push(`  latency   ${latency(l)}`);
  lines.push(
    `  errors    ${errorSummary(report)}`,
    `  cpu       client ${secs(report.client.cpuSeconds)} s${
      report.server
        ? ` · server ${secs(report.server.cpuSeconds)} s (${secs(report.server.cpuSecondsTotal)} s with start-up; peak RSS ${mib(report.server.peakRssBytes)} MiB)`
        : ''
    }`,
    statsLine(report),
  );
  for (const check of report.validation.checks) lines.push(checkLine(check));
  for (const problem of report.problems) lines.push(`  ! ${problem}`);
  return lines.join('\n');
}

export function formatTable(reports: readonly ChallengeReport[]): string {
  const head =
    '| target | result | rate | time s | p50 ms | p99 ms | p99.9 ms | max ms | errors | server CPU s | server peak RSS MiB | client CPU s |';
  const rows = reports.map((r) =>
    [
      r.target,
      r.ok ? 'pass' : 'FAIL',
      `${int.format(rate(r))} ${rateUnit(r)}`,
      (r.durationMs / 1000).toFixed(2),
      ms(r.latencyUs.p50),
      ms(r.latencyUs.p99),
      ms(r.latencyUs.p999),
      ms(r.latencyUs.max),
      errorSummary(r),
      r.server ? secs(r.server.cpuSeconds) : 'n/a',
      r.server ? mib(r.server.peakRssBytes) : 'n/a',
      secs(r.client.cpuSeconds),
    ].join(' | '),
  );
  const first = reports[0];
  const setup = first
    ? `${int.format(first.options.requests)} events, ${int.format(first.options.concurrency)} connections, pipelining ${first.options.pipelining}, ${first.options.engine} engine, pattern ${first.options.pattern}, ${first.startedAt}`
    : '';
  return [
    `# 1mrc challenge results`,
    '',
    setup,
    '',
    head,
    `|${' --- |'.repeat(12)}`,
    ...rows.map((row) => `| ${row} |`),
    '',
  ].join('\n');
}

const xmlText = (s: string): string =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

/** Three horizontal bar panels (rate, p99, server peak RSS), one bar per report. */
export function renderSvg(reports: readonly ChallengeReport[]): string {
  const panels: { title: string; value: (r: ChallengeReport) => number; label: (v: number) => string }[] = [
    { title: 'throughput (higher is better)', value: rate, label: (v) => `${int.format(v)} /s` },
    { title: 'p99 latency (lower is better)', value: (r) => r.latencyUs.p99, label: (v) => `${ms(v)} ms` },
    {
      title: 'server peak RSS (lower is better)',
      value: (r) => r.server?.peakRssBytes ?? 0,
      label: (v) => (v > 0 ? `${mib(v)} MiB` : 'n/a'),
    },
  ];
  const width = 720;
  const labelWidth = 110;
  const barMax = width - labelWidth - 130;
  const bar = 22;
  const panelHeight = 34 + reports.length * (bar + 8);
  const colors = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2'];
  const parts: string[] = [];
  panels.forEach((panel, p) => {
    const top = p * panelHeight + 10;
    const values = reports.map((r) => (Number.isFinite(panel.value(r)) ? panel.value(r) : 0));
    const max = Math.max(...values, 1);
    parts.push(`<text x="10" y="${top + 16}" font-weight="bold">${xmlText(panel.title)}</text>`);
    reports.forEach((r, i) => {
      const y = top + 28 + i * (bar + 8);
      const w = Math.max(1, Math.round(((values[i] ?? 0) / max) * barMax));
      parts.push(
        `<text x="10" y="${y + 16}">${xmlText(r.target)}${r.ok ? '' : ' (FAIL)'}</text>`,
        `<rect x="${labelWidth}" y="${y}" width="${w}" height="${bar}" fill="${colors[i % colors.length]}"/>`,
        `<text x="${labelWidth + w + 6}" y="${y + 16}">${xmlText(panel.label(values[i] ?? 0))}</text>`,
      );
    });
  });
  const height = panels.length * panelHeight + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes `<timestamp>.json`, `latest.md` and `latest.svg`; returns their paths. */
export async function writeReports(dir: string, reports: readonly ChallengeReport[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const files: [string, string][] = [
    [join(dir, `${stamp}.json`), `${JSON.stringify(reports, null, 2)}\n`],
    [join(dir, 'latest.md'), formatTable(reports)],
    [join(dir, 'latest.svg'), renderSvg(reports)],
  ];
  for (const [path, text] of files) await writeFile(path, text);
  return files.map(([path]) => path);
}
