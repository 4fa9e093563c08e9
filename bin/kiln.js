#!/usr/bin/env node
/**
 * @file The `kiln` command. kiln ships its TypeScript sources without a build step, so this
 * launcher registers tsx's loader and then runs the CLI's entry point (src/cli/main.ts).
 */

import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
