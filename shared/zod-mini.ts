/**
 * The repo's schema library: zod/mini, imported from here and nowhere else
 * (`import * as z from '.../shared/zod-mini.ts'`; test/layout/import-boundaries.test.ts checks).
 *
 * zod/mini is zod's own core behind a functional API (`z.optional(s)`,
 * `s.check(z.minimum(1))`), so a bundler keeps only the parts a schema uses. zod's classic API
 * (`s.optional().min(1)`) hangs every method on every schema, and so all of zod on the worker:
 * 443 of its 560 KiB minified, parsed again by each cold isolate. The node, the scripts and the
 * eval, which nothing bundles, use zod/mini too: one way to write each schema in the repo.
 *
 * zod/mini has no messages of its own ("Invalid input" for every issue), and clients read them
 * in their 400s, operators in a refused model folder: English is configured here, once, before
 * any schema can parse.
 */
import { en } from 'zod/locales'
import { config } from 'zod/mini'

config(en())

export * from 'zod/mini'
