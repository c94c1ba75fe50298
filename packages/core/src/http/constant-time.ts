const encoder = new TextEncoder();

/** Compares without an early exit, so the time taken says nothing of where a guess went wrong. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= (x[i] as number) ^ (y[i % y.length] ?? 0);
  return diff === 0;
}
