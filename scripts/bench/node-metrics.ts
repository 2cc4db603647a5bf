/** A node's signed `/metrics`, read once, as a function from a series name to its sum over labels. */
import { fetchSigned } from '../../shared/signed-calls.ts'

export async function nodeMetrics(url: string, secret: string): Promise<(name: string) => number> {
  const lines = (await (await fetchSigned(url, '/metrics', secret)).text()).split('\n')
  return (name) =>
    lines
      .filter((line) => line.split(/[ {]/, 1)[0] === name)
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0)
}
