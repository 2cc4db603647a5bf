/**
 * `npm run openapi`: writes GET /openapi.json's document, generated from the zod schemas by
 * edge/openapi/document.ts, to edge/openapi/openapi.json, the file the worker serves. Run it
 * after changing a schema or the document: test/docs/openapi.test.ts fails until then.
 */
import { writeFile } from 'node:fs/promises'
import { openApiDocument } from '../edge/openapi/document.ts'

const file = new URL('../edge/openapi/openapi.json', import.meta.url)
await writeFile(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`)
console.log(`wrote ${file.pathname}`)
