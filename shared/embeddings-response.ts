/** `POST /v1/embeddings` response, as OpenAI defines it. */

export interface EmbeddingObject {
  object: 'embedding'
  index: number
  /** float: the numbers; base64: little-endian float32 bytes. */
  embedding: number[] | string
}

export interface EmbeddingsResponse {
  object: 'list'
  data: EmbeddingObject[]
  model: string
  usage: { prompt_tokens: number; total_tokens: number }
}
