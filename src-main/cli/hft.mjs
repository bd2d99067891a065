#!/usr/bin/env node
// The `hft` command: runs the TypeScript CLI through tsx, so `npx hft` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
