/**
 * Tells in-process caches of team settings (status, limits, budget terms) that a team changed through
 * this process, so they can drop their copy at once instead of waiting for their TTL. Other instances
 * still rely on those caches' short TTLs.
 */
export class TeamChangeFeed {
  private readonly listeners: Array<(teamId: string) => void> = [];

  subscribe(listener: (teamId: string) => void): void {
    this.listeners.push(listener);
  }

  publish(teamId: string): void {
    for (const listener of this.listeners) listener(teamId);
  }
}
