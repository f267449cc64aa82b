import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { TASK_TYPES } from '../../config/taskTypes.js';
import { parseEnv } from '../../src/env.js';
import { registerDiscordCommands } from '../../src/integrations/discord/discordCommands.js';

export function register(program: Command): void {
  program
    .command('discord:register')
    .description(
      'Register the Discord application commands (/generate, /status, /cancel, /tasks, /share, /link, /providers, /help)',
    )
    .option('--guild <id>', 'register in one guild only (shows up at once; global commands can take a while)')
    .addHelpText(
      'after',
      '\nNeeds DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN. Set the Interactions Endpoint URL to PUBLIC_URL/api/integrations/discord/interactions.',
    )
    .action(async (o: { guild?: string }) => {
      if (existsSync('.env')) process.loadEnvFile('.env');
      const env = parseEnv();
      if (!env.DISCORD_APPLICATION_ID || !env.DISCORD_BOT_TOKEN)
        throw new Error('DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN must be set');
      const n = await registerDiscordCommands({
        apiUrl: env.DISCORD_API_URL,
        applicationId: env.DISCORD_APPLICATION_ID,
        botToken: env.DISCORD_BOT_TOKEN,
        guildId: o.guild,
        taskTypes: TASK_TYPES.map((t) => t.id),
      });
      process.stdout.write(
        `Registered ${n} Discord commands ${o.guild ? `in guild ${o.guild}` : 'globally'}\n`,
      );
    });
}
