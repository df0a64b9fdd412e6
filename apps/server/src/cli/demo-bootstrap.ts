import type { Container } from '../container.ts';

/** Creates the demo tenant of 04-admin-api.md on an empty database (filled in once the services land). */
export async function bootstrapDemoTenant(container: Container, url: string): Promise<void> {
  void container; void url;
}
