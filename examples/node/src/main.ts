import { serve } from '@1mrc/adapter-node';
import { runUntilSignal } from '@1mrc/server';

process.exitCode = await runUntilSignal('adapter-node', serve);
