#!/usr/bin/env node
// Task files and mainspring.config.ts are TypeScript: load them through tsx's ESM hooks.
import { register } from "tsx/esm/api";

register();
await import("../src/bin.ts");
