import type { CommandModule } from '../context.js';
import { helpText } from '../help.js';

/** `help`: the commands, as this platform's users type them (no rate limit, no identity). */
export const help: CommandModule<'help'> = {
  name: 'help',
  who: 'none',
  run: async ({ platform, portal }) => ({ private: true, text: helpText(platform, portal) }),
};
