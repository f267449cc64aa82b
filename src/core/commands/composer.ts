import type { ActionModule, CommandModule, CommandOf } from './context.js';
import { type ChatCommand, COMMAND_NAMES, type CommandName } from './grammar.js';
import { BUTTON_ACTIONS, type ButtonAction } from './reply.js';

/** A command module as the dispatcher holds it: any command in, checked against the module's name. */
export type ComposedCommand = CommandModule<CommandName>;

/**
 * The chat commands and buttons, composed from one module each (grammY's `bot.command(...)`,
 * Bolt's listeners): `new Composer().command(status).command(tasks)…`. Each name has exactly one
 * module; `complete()` checks that every command of the grammar and every button has one.
 */
export class Composer {
  private readonly commands = new Map<CommandName, ComposedCommand>();
  private readonly actions = new Map<ButtonAction, ActionModule>();

  command<N extends CommandName>(module: CommandModule<N>): this {
    if (this.commands.has(module.name)) throw new Error(`Chat command ${module.name} is composed twice`);
    this.commands.set(module.name, compose(module));
    return this;
  }

  action(module: ActionModule): this {
    if (this.actions.has(module.action)) throw new Error(`Chat button ${module.action} is composed twice`);
    this.actions.set(module.action, module);
    return this;
  }

  /** Throws when a command of the grammar or a button has no module. */
  complete(): this {
    const missing = [
      ...COMMAND_NAMES.filter((n) => !this.commands.has(n)),
      ...BUTTON_ACTIONS.filter((a) => !this.actions.has(a)).map((a) => `button ${a}`),
    ];
    if (missing.length) throw new Error(`Chat commands without a module: ${missing.join(', ')}`);
    return this;
  }

  commandFor(name: CommandName): ComposedCommand {
    const m = this.commands.get(name);
    if (!m) throw new Error(`No module for the chat command ${name}`);
    return m;
  }

  actionFor(action: ButtonAction): ActionModule {
    const m = this.actions.get(action);
    if (!m) throw new Error(`No module for the chat button ${action}`);
    return m;
  }
}

/** Widens a module to take any command; it still only ever runs its own (checked, not cast). */
function compose<N extends CommandName>(m: CommandModule<N>): ComposedCommand {
  const own = (cmd: ChatCommand): CommandOf<N> => {
    if (isNamed(cmd, m.name)) return cmd;
    throw new Error(`The chat command ${cmd.name} reached the module of ${m.name}`);
  };
  switch (m.who) {
    case 'user':
      return { name: m.name, who: 'user', once: m.once, run: (ctx) => m.run({ ...ctx, cmd: own(ctx.cmd) }) };
    case 'identity':
      return {
        name: m.name,
        who: 'identity',
        once: m.once,
        run: (ctx) => m.run({ ...ctx, cmd: own(ctx.cmd) }),
      };
    case 'none':
      return { name: m.name, who: 'none', run: (ctx) => m.run(ctx) };
  }
}

const isNamed = <N extends CommandName>(cmd: ChatCommand, name: N): cmd is CommandOf<N> => cmd.name === name;
