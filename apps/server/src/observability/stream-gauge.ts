/** How many SSE streams are open right now (read by the metrics at scrape time). */
export class StreamGauge {
  private open = 0;

  get count(): number {
    return this.open;
  }

  /** Counts a stream until its response closes. */
  track(response: { once(event: 'close', listener: () => void): unknown }): void {
    this.open += 1;
    response.once('close', () => { this.open -= 1; });
  }
}
