import type { CommandModule } from '../context.js';
import { providerTexts } from '../texts.js';

/** `providers`: the active AI providers one can pick with --provider. */
export const providers: CommandModule<'providers'> = {
  name: 'providers',
  who: 'user',
  once: false,
  async run(ctx) {
    const directory = ctx.deps.providers;
    if (!directory) return { private: true, text: providerTexts.inPortal(ctx.portal) };
    const items = await directory.listActive();
    if (!items.length) return { private: true, text: providerTexts.noneActive };
    return { private: true, text: providerTexts.list(items.map(providerTexts.line), ctx.platform) };
  },
};
