/**
 * A FAKE inference node, named as such: it accepts connections and never
 * answers. A real node that hangs cannot be produced on demand, and the edge's
 * 504 is about exactly this boundary.
 */
import { createServer, type Server } from 'node:http'

export async function startStallingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(() => {
    // Deliberately never respond.
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
