import { serve } from '@1mrc/adapter-node';
import { runUntilSignal } from '@1mrc/server';

await runUntilSignal('adapter-node', serve);
