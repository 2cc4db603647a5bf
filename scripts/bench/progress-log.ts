/** A benchmark's progress lines, each stamped with the seconds since the run began. */
export function progressLog(): (line: string) => void {
  const started = performance.now()
  return (line) =>
    console.log(
      `[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`,
    )
}
