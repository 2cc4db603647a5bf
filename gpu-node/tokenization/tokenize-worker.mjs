// Worker threads run plain JavaScript: register tsx here, then load the TypeScript module.
// Piscina waits for the exported promise (the tokenizer loading) before giving this thread work.
import { register } from 'tsx/esm/api'

register()
const { default: handler } = await import('./tokenize-worker.ts')
export default handler
