/**
 * Tells in-process caches of team settings (status, limits, budget terms) that a team changed, so they can
 * drop their copy at once instead of waiting for their TTL: changes made through this process (`publish`)
 * and, with a change bus, those another instance announced (`receive`).
 */
export class TeamChangeFeed {
  private readonly listeners: Array<{ listener: (teamId: string) => void; localOnly: boolean }> = [];

  /** `localOnly`: hear only this process's changes (what forwards them to other instances). */
  subscribe(listener: (teamId: string) => void, options: { localOnly?: boolean } = {}): void {
    this.listeners.push({ listener, localOnly: options.localOnly ?? false });
  }

  publish(teamId: string): void {
    for (const { listener } of this.listeners) listener(teamId);
  }

  /** A change another instance made: the caches drop it, nothing forwards it again. */
  receive(teamId: string): void {
    for (const { listener, localOnly } of this.listeners) if (!localOnly) listener(teamId);
  }
}
