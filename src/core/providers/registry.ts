import { ProviderRejected } from '../errors.js';
import type { Connector, ConnectorFactory, ConnectorSettings, ProviderKind } from './connector.js';

/**
 * Connector factories registered by kind, in the manner of Outline's PluginManager hooks: each
 * plugin says which kinds it serves and with what priority; the highest priority wins (ties: the
 * one added last), so a deployment can override a built-in connector without editing it.
 *
 * `createConnector` builds a fresh connector for every call from plain settings — never a shared
 * instance with one tenant's credentials written onto it.
 */
export interface ProviderPlugin {
  /** A stable name, for listings and replacing a plugin. */
  id: string;
  kinds: readonly ProviderKind[];
  /** Higher wins. Built-ins use 0. */
  priority?: number;
  create: ConnectorFactory;
}

export class ProviderRegistry {
  private readonly plugins: ProviderPlugin[] = [];

  /** Register a plugin. Adding one with an existing id replaces it. */
  add(plugin: ProviderPlugin): this {
    if (plugin.kinds.length === 0) throw new Error(`Provider plugin ${plugin.id} serves no kinds`);
    const existing = this.plugins.findIndex((p) => p.id === plugin.id);
    if (existing >= 0) this.plugins.splice(existing, 1);
    this.plugins.push(plugin);
    return this;
  }

  /** The plugin that serves `kind`, if any. */
  get(kind: ProviderKind): ProviderPlugin | undefined {
    let best: ProviderPlugin | undefined;
    for (const p of this.plugins) {
      if (!p.kinds.includes(kind)) continue;
      if (!best || (p.priority ?? 0) >= (best.priority ?? 0)) best = p;
    }
    return best;
  }

  has(kind: ProviderKind): boolean {
    return this.get(kind) !== undefined;
  }

  /** Every kind some plugin serves. */
  kinds(): ProviderKind[] {
    return [...new Set(this.plugins.flatMap((p) => p.kinds))];
  }

  /** Build a fresh connector for one call. */
  createConnector(settings: ConnectorSettings): Connector {
    const plugin = this.get(settings.kind);
    if (!plugin) {
      throw new ProviderRejected(`No connector is registered for provider kind "${settings.kind}"`, {
        code: 'unsupported_kind',
        providerKind: settings.kind,
      });
    }
    return plugin.create(settings);
  }
}
