import { serve } from '@1mrc/adapter-uws';
import { runUntilSignal } from '@1mrc/server';

process.exitCode = await runUntilSignal('adapter-uws', serve);
