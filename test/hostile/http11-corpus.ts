/**
 * Raw HTTP/1.1 requests of the kind Http11Probe (github.com/MDA2AV/Http11Probe) sends: RFC 9110
 * and RFC 9112 compliance, request smuggling, malformed input. Each case is the bytes of one write
 * and what a correct server may do with them; http11-corpus.test.ts runs them on every adapter.
 */

/** A valid event in a request that a server framing the bytes before it wrongly would read. */
const event = (userId: string): string => `{"userId":"${userId}","value":1}`;
const HIDDEN_BODY = event('smuggled');
export const HIDDEN = `POST /event HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${HIDDEN_BODY.length}\r\n\r\n${HIDDEN_BODY}`;
const BODY = event('corpus');
const N = BODY.length;
const HEX = N.toString(16);
const POST = 'POST /event HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n';
const GET = (target: string, version = '1.1', headers = 'host: 127.0.0.1\r\n'): string =>
  `GET ${target} HTTP/${version}\r\n${headers}\r\n`;

export interface CorpusCase {
  readonly id: string;
  readonly bytes: string;
  /**
   * The requests a correct server reads in these bytes: it answers each at most once, and no
   * more answers than this (one more would be a request read out of leftover bytes).
   */
  readonly requests: number;
  /** Whether those requests are `POST /event`s (each 200 is one event counted) or other routes (none counts). */
  readonly events: boolean;
  /** The statuses a correct server may answer with. */
  readonly statuses: readonly number[];
  /** Closing the connection without an answer is correct too. */
  readonly mayClose?: boolean;
  /** The last answer must end the connection (a refusal, or HTTP/1.0). */
  readonly closes?: boolean;
  /** Cut short on purpose: nothing may be answered 200 or counted while the rest is awaited. */
  readonly incomplete?: boolean;
}

const refused = (id: string, bytes: string, statuses: readonly number[] = [400]): CorpusCase => ({
  id,
  bytes,
  requests: 1,
  events: true,
  statuses,
  mayClose: true,
  closes: true,
});

/** Alone in its write: every adapter must answer it (400) and close. */
const badHost = (id: string, host: string): CorpusCase => ({
  id,
  bytes: `GET /health HTTP/1.1\r\n${host}\r\n`,
  requests: 1,
  events: false,
  statuses: [400],
  closes: true,
});

export const CORPUS: readonly CorpusCase[] = [
  // Controls: what a correct server serves, so the checks below are seen to pass on good input.
  { id: 'CONTROL-GET', bytes: GET('/health'), requests: 1, events: false, statuses: [200] },
  {
    id: 'CONTROL-PIPELINED-EVENTS',
    bytes: `${POST}content-length: ${N}\r\n\r\n${BODY}${HIDDEN}`,
    requests: 2,
    events: true,
    statuses: [200],
  },
  {
    id: 'CONTROL-HOST-PORT',
    bytes: GET('/health', '1.1', 'host: 127.0.0.1:80\r\n'),
    requests: 1,
    events: false,
    statuses: [200],
  },
  {
    id: 'CONTROL-HOST-IPV6',
    bytes: GET('/health', '1.1', 'host: [::1]:8080\r\n'),
    requests: 1,
    events: false,
    statuses: [200],
  },

  // `Connection: close` (RFC 9112 §9.6): answered, then nothing behind it is read.
  {
    id: 'CLOSE-THEN-EVENT',
    bytes: `${POST}connection: close\r\ncontent-length: ${N}\r\n\r\n${BODY}${HIDDEN}`,
    requests: 1,
    events: true,
    statuses: [200],
    mayClose: true,
    closes: true,
  },
  {
    id: 'CLOSE-GET-THEN-EVENT',
    bytes: `${GET('/health', '1.1', 'host: 127.0.0.1\r\nconnection: close\r\n')}${HIDDEN}`,
    requests: 1,
    events: false,
    statuses: [200],
    mayClose: true,
    closes: true,
  },
  {
    id: 'CLOSE-ALONE',
    bytes: `${POST}connection: keep-alive, close\r\ncontent-length: ${N}\r\n\r\n${BODY}`,
    requests: 1,
    events: true,
    statuses: [200],
    closes: true,
  },

  // Host (RFC 9112 §3.2: 400 for a missing, repeated or invalid Host).
  badHost('HOST-DUPLICATE', 'host: 127.0.0.1\r\nhost: example.com\r\n'),
  badHost('HOST-USERINFO', 'host: user@127.0.0.1\r\n'),
  badHost('HOST-PATH', 'host: 127.0.0.1/health\r\n'),
  badHost('HOST-EMPTY', 'host: \r\n'),
  badHost('HOST-LIST', 'host: 127.0.0.1, example.com\r\n'),
  badHost('HOST-MISSING', ''),
  {
    // With a request behind it in the same write: answered and closed, or closed; never read on.
    ...badHost('HOST-DUPLICATE-THEN-EVENT', 'host: 127.0.0.1\r\nhost: example.com\r\n'),
    bytes: `GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nhost: example.com\r\n\r\n${HIDDEN}`,
    mayClose: true,
  },

  // The request target (RFC 9112 §3.2).
  {
    id: 'TARGET-ABSOLUTE-FORM',
    bytes: GET('http://127.0.0.1/health'),
    requests: 1,
    events: false,
    statuses: [200],
  },
  {
    id: 'TARGET-ABSOLUTE-FORM-EVENT',
    bytes: `POST http://127.0.0.1/event HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${N}\r\n\r\n${BODY}`,
    requests: 1,
    events: true,
    statuses: [200],
  },
  { ...badHost('TARGET-FRAGMENT', ''), bytes: GET('/health#top') },
  { ...badHost('TARGET-FRAGMENT-THEN-EVENT', ''), bytes: `${GET('/health#top')}${HIDDEN}`, mayClose: true },
  { ...badHost('TARGET-ASTERISK-GET', ''), bytes: GET('*') },
  {
    ...badHost('TARGET-NO-SLASH', 'host: 127.0.0.1\r\n'),
    bytes: `${GET('health')}${HIDDEN}`,
    mayClose: true,
  },

  // HTTP/1.0: served, and the connection closed after the answer, keep-alive asked or not.
  {
    id: 'HTTP10-NO-HOST',
    bytes: GET('/health', '1.0', ''),
    requests: 1,
    events: false,
    statuses: [200],
    closes: true,
  },
  {
    id: 'HTTP10-KEEP-ALIVE',
    bytes: GET('/health', '1.0', 'host: 127.0.0.1\r\nconnection: keep-alive\r\n'),
    requests: 1,
    events: false,
    statuses: [200],
    closes: true,
  },
  {
    id: 'HTTP10-EVENT',
    bytes: `POST /event HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: ${N}\r\n\r\n${BODY}`,
    requests: 1,
    events: true,
    statuses: [200],
    closes: true,
  },

  // Malformed heads (RFC 9112 §2.2, §3, §5).
  refused('HEAD-BARE-LF', `POST /event HTTP/1.1\nhost: 127.0.0.1\ncontent-length: 0\n\n${HIDDEN}`),
  refused('HEAD-OBS-FOLD', `${POST}x-folded: a\r\n b\r\ncontent-length: 0\r\n\r\n${HIDDEN}`),
  refused('HEAD-SPACE-BEFORE-COLON', `${POST}content-length : 0\r\n\r\n${HIDDEN}`),
  refused(
    'HEAD-TAB-IN-REQUEST-LINE',
    `POST\t/event HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
  ),
  refused(
    'HEAD-INVALID-VERSION',
    `POST /event HTTP/1.2\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
    [400, 505],
  ),
  refused('HEAD-CR-ONLY', `POST /event HTTP/1.1\rhost: 127.0.0.1\rcontent-length: 0\r\r${HIDDEN}`),
  {
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
    id: 'HEAD-LEADING-CRLF',
    bytes: `\r\n${GET('/health')}`,
    requests: 1,
    events: false,
    statuses: [200, 400],
    mayClose: true,
  },
  {
    // Legal, if large: a server may serve it or refuse it (431), but must do either at once.
    id: 'HEAD-100-KB',
    bytes: `GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'a'.repeat(100 * 1024)}\r\n\r\n`,
    requests: 1,
    events: false,
    statuses: [200, 431],
    mayClose: true,
  },
  {
    id: 'HEAD-100-KB-EVENT',
    bytes: `${POST}x-big: ${'a'.repeat(100 * 1024)}\r\ncontent-length: ${N}\r\n\r\n${BODY}`,
    requests: 1,
    events: true,
    statuses: [200, 431],
    mayClose: true,
  },

  // Framing two ways or not at all (RFC 9112 §6): one refusal, the contract's, on every adapter.
  refused(
    'SMUG-CL-TE',
    `${POST}content-length: ${HIDDEN.length + 5}\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
  ),
  refused(
    'SMUG-TE-CL',
    `${POST}transfer-encoding: chunked\r\ncontent-length: 4\r\n\r\n${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`,
  ),
  refused(
    'SMUG-DUPLICATE-CL',
    `${POST}content-length: 0\r\ncontent-length: ${HIDDEN.length}\r\n\r\n${HIDDEN}`,
  ),
  refused('SMUG-CL-NEGATIVE', `${POST}content-length: -1\r\n\r\n${HIDDEN}`),
  refused('SMUG-CL-PLUS', `${POST}content-length: +0\r\n\r\n${HIDDEN}`),
  refused('SMUG-TE-GZIP', `${POST}transfer-encoding: gzip\r\n\r\n${HIDDEN}`, [400, 501]),
  refused(
    'SMUG-TE-GZIP-CHUNKED',
    `${POST}transfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
    [400, 501],
  ),
  refused(
    'SMUG-TE-XCHUNKED',
    `${POST}transfer-encoding: xchunked\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
    [400, 501],
  ),
  refused(
    'SMUG-TE-DOUBLE-CHUNKED',
    `${POST}transfer-encoding: chunked, chunked\r\ncontent-length: 0\r\n\r\n${HIDDEN}`,
    [400, 501],
  ),
  refused(
    'SMUG-TE-HTTP10',
    `POST /event HTTP/1.0\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`,
  ),

  // Chunked bodies (RFC 9112 §7.1). uWS refuses every one with 411 (411 is in each list).
  {
    id: 'CHUNK-VALID',
    bytes: `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}\r\n0\r\n\r\n`,
    requests: 1,
    events: true,
    statuses: [200, 411],
  },
  {
    id: 'CHUNK-TRAILER',
    bytes: `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}\r\n0\r\nx-trailer: 1\r\n\r\n${HIDDEN}`,
    requests: 2,
    events: true,
    statuses: [200, 411],
    mayClose: true,
  },
  {
    ...refused(
      'CHUNK-MISSING-CRLF',
      `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}0\r\n\r\n${HIDDEN}`,
      [400, 411],
    ),
  },
  {
    ...refused(
      'CHUNK-BYTES-PAST-SIZE',
      `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}XXXX\r\n0\r\n\r\n${HIDDEN}`,
      [400, 411],
    ),
  },
  {
    ...refused(
      'CHUNK-SIZE-LEADING-SPACE',
      `${POST}transfer-encoding: chunked\r\n\r\n ${HEX}\r\n${BODY}\r\n0\r\n\r\n${HIDDEN}`,
      [400, 411],
    ),
  },
  {
    id: 'CHUNK-END-WITHOUT-FINAL-CRLF',
    bytes: `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}\r\n0\r\n`,
    requests: 1,
    events: true,
    statuses: [400, 411],
    mayClose: true,
    incomplete: true,
  },
  refused(
    'CHUNK-END-THEN-MORE',
    `${POST}transfer-encoding: chunked\r\n\r\n${HEX}\r\n${BODY}\r\n0\r\n${HIDDEN}`,
    [400, 411],
  ),
];
