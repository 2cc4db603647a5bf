// Worker threads run plain JavaScript: register tsx here, then load the TypeScript module.
import { register } from 'tsx/esm/api'

register()
await import('./tokenize-worker.ts')
