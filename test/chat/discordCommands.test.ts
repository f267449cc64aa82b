import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { describe, expect, it } from 'vitest';
import { interactionCommand } from '../../src/integrations/discord/discordAdapter.js';
import {
  discordCommandDefinitions,
  registerDiscordCommands,
} from '../../src/integrations/discord/discordCommands.js';

/** /comment and /approve are Discord slash commands like the rest, and reach the chat grammar. */
describe('Discord slash commands: comment and approve', () => {
  it('registers /comment (content, text) and /approve (content) with the others', async () => {
    let body: Array<{ name: string; options: Array<{ name: string; required: boolean; type: number }> }> = [];
    let path = '';
    const server = createServer((req, res) => {
      path = req.url ?? '';
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const count = await registerDiscordCommands({
        apiUrl: `http://127.0.0.1:${port}`,
        applicationId: '123',
        botToken: 'bot-token',
        guildId: '456',
      });
      expect(path).toBe('/v10/applications/123/guilds/456/commands');
      expect(count).toBe(discordCommandDefinitions().length);
    } finally {
      server.close();
    }
    const byName = new Map(body.map((c) => [c.name, c]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['generate', 'status', 'comment', 'approve']));
    const opts = (name: string) =>
      byName.get(name)!.options.map((o) => ({ name: o.name, required: o.required, type: o.type }));
    const string = ApplicationCommandOptionType.String;
    expect(opts('comment')).toEqual([
      { name: 'content', required: true, type: string },
      { name: 'text', required: true, type: string },
    ]);
    expect(opts('approve')).toEqual([{ name: 'content', required: true, type: string }]);
  });

  it('turns the slash commands into the grammar’s comment and approve commands', () => {
    const comment = interactionCommand({
      name: 'comment',
      options: [
        { name: 'content', type: 3, value: 'ab12cd34' },
        { name: 'text', type: 3, value: 'Looks good, ship it' },
      ],
    });
    expect(comment).toEqual({
      ok: true,
      command: { name: 'comment', ref: 'ab12cd34', text: 'Looks good, ship it' },
    });
    expect(
      interactionCommand({ name: 'approve', options: [{ name: 'content', type: 3, value: 'ab12cd34' }] }),
    ).toEqual({ ok: true, command: { name: 'approve', ref: 'ab12cd34' } });
    const missing = interactionCommand({
      name: 'comment',
      options: [{ name: 'content', type: 3, value: 'ab12cd34' }],
    });
    expect(missing.ok).toBe(false);
  });
});
