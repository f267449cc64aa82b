import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportChart } from '../../src/core/reports/chartImage.js';
import {
  type ChannelImage,
  type ReportDelivery,
  type ReportSchedule,
  ScheduleService,
} from '../../src/core/reports/scheduleService.js';
import type { UsageRow } from '../../src/core/reports/usageReport.js';
import { REPORT_SCHEDULES_QUEUE } from '../../src/jobs/reportJobs.js';
import {
  discordKeys,
  SLACK_SECRET,
  slackStubHandler,
  TELEGRAM_SECRET,
  TELEGRAM_TOKEN,
  telegramStubHandler,
} from '../chat/helpers.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from '../helpers/sql.js';
import { type RecordedRequest, type StubServer, sendJson, startStubServer } from '../helpers/stubServer.js';
import { waitFor } from '../helpers/wait.js';
import { teamFixture } from './helpers.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (right after the 8-byte signature and chunk header). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The SVG's text content (labels, title, axis), entities decoded. */
function svgText(svg: string): string {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)]
    .map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'))
    .join('\n');
}

const row = (label: string, tasks: number, costMicros: number): UsageRow => ({
  key: label,
  label,
  tasks,
  completed: tasks,
  failed: 0,
  tokens: 100 * tasks,
  costMicros,
  p50LatencyMs: null,
  p95LatencyMs: null,
});

describe('reports: chart image renderer', () => {
  const labels = ['alice', 'Ольга Петрова', '张伟', 'Αλέξης', 'محمد', 'דוד', '山田 太郎'];

  it('renders a PNG bar chart whose labels keep every script (Latin, Cyrillic, CJK, Greek, Arabic, Hebrew)', async () => {
    const chart = await renderReportChart({
      title: 'Usage by user, 2026-11-23 – 2026-11-29',
      rows: labels.map((l, i) => row(l, i + 1, (i + 1) * 250_000)),
    });
    expect(chart.png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    const size = pngSize(chart.png);
    expect(size).toEqual({ width: chart.width, height: chart.height });
    expect(size.width).toBeGreaterThanOrEqual(400);
    expect(size.width).toBeLessThanOrEqual(2000);
    expect(size.height).toBeGreaterThanOrEqual(200);
    expect(size.height).toBeLessThanOrEqual(2000);
    expect(chart.png.length).toBeGreaterThan(2_000);
    expect(chart.png.length).toBeLessThan(500_000);
    const text = svgText(chart.svg);
    for (const l of labels) expect(text).toContain(l);
    expect(text).toContain('Usage by user');
    expect(text).toContain('Cost (USD)'); // cost when there is any
  });

  it('charts tasks when the period had no cost, and keeps at most 12 bars, largest first', async () => {
    const rows = Array.from({ length: 15 }, (_, i) => row(`user-${String(i).padStart(2, '0')}`, i + 1, 0));
    const chart = await renderReportChart({ title: 'Usage by user', rows });
    const text = svgText(chart.svg);
    expect(text).toContain('Tasks');
    expect(text).not.toContain('Cost');
    expect(text).toContain('user-14'); // the largest
    expect(text).not.toContain('user-02'); // the smallest three are left out
    expect(text.indexOf('user-14')).toBeLessThan(text.indexOf('user-03'));
  });

  it('draws the glyphs of non-Latin labels (the Noto fonts are loaded): different names, different pixels', async () => {
    const one = await renderReportChart({ title: 'x', rows: [row('张伟', 1, 0)] });
    const other = await renderReportChart({ title: 'x', rows: [row('李娜', 1, 0)] });
    expect(one.png.equals(other.png)).toBe(false);
  });
});

/** ScheduleService with in-memory ports: the text always goes out, the image only where it can. */
describe('reports: the chart is an extra, never in the way of the text', () => {
  const due: ReportSchedule = {
    id: 's1',
    userId: 'u1',
    teamId: null,
    report: 'usage',
    groupBy: 'user',
    every: 'week',
    deliverTo: { platform: 'slack', channel: 'C1' },
    lastSentAt: null,
    nextRunAt: new Date('2026-11-30T00:00:00Z'),
    createdAt: new Date('2026-11-01T00:00:00Z'),
  };
  const setup = (opts: {
    chart?: () => Promise<Buffer>;
    imagePlatforms?: Array<'slack' | 'discord' | 'telegram'>;
    rows?: UsageRow[];
    schedule?: ReportSchedule;
  }) => {
    const texts: string[] = [];
    const images: Array<{ channel: string; image: ChannelImage }> = [];
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const delivery: ReportDelivery = {
      platforms: () => ['slack', 'discord', 'telegram'],
      toChannel: async (_p, _c, text) => void texts.push(text),
      imagePlatforms: () => opts.imagePlatforms ?? ['slack'],
      imageToChannel: async (_p, channel, image) => void images.push({ channel, image }),
      checkWebhook: async () => {},
      toWebhook: async () => {},
    };
    const service = new ScheduleService({
      store: { claimDue: async () => [opts.schedule ?? due] } as never,
      reports: { usage: async () => opts.rows ?? [row('Ольга', 2, 0)] } as never,
      delivery,
      ...(opts.chart ? { chart: opts.chart } : {}),
      log: { warn: (_m, meta) => void warnings.push(meta) },
    });
    return { service, texts, images, warnings };
  };

  it('a chart that fails to render is logged; the text report is sent and counted', async () => {
    const t = setup({
      chart: async () => {
        throw new Error('render pool is shutting down');
      },
    });
    expect(await t.service.runDue()).toBe(1);
    expect(t.texts).toHaveLength(1);
    expect(t.texts[0]).toContain('Ольга');
    expect(t.images).toHaveLength(0);
    expect(t.warnings).toEqual([
      expect.objectContaining({ scheduleId: 's1', err: 'render pool is shutting down' }),
    ]);
  });

  it('sends the rendered PNG after the text, named after the report; none for a platform without images or an empty report', async () => {
    const png = Buffer.from('png-bytes');
    const ok = setup({ chart: async () => png });
    expect(await ok.service.runDue()).toBe(1);
    expect(ok.images).toEqual([
      {
        channel: 'C1',
        image: {
          png,
          filename: 'usage-by-user-2026-11-30.png',
          title: expect.stringContaining('Usage by user'),
        },
      },
    ]);
    const noImages = setup({ chart: async () => png, imagePlatforms: [] });
    await noImages.service.runDue();
    expect(noImages.texts).toHaveLength(1);
    expect(noImages.images).toHaveLength(0);
    const empty = setup({ chart: async () => png, rows: [] });
    await empty.service.runDue();
    expect(empty.texts).toHaveLength(1);
    expect(empty.images).toHaveLength(0);
  });
});

/** Slack's files.uploadV2 (three calls) and Telegram's sendPhoto, beside the text messages. */
describe('reports: scheduled report with its chart image in Slack, Telegram and Discord', () => {
  let app: TestApp;
  let stub: StubServer;
  let f: Awaited<ReturnType<typeof teamFixture>>;
  const TEAM_NAME = '写作组 Команда';
  let nextFile = 0;

  const form = (r: RecordedRequest) =>
    Object.fromEntries(new URLSearchParams(r.body)) as Record<string, string>;
  /** Multipart fields (text parts) of a request grammY sent with a file. */
  const multipartField = (r: RecordedRequest, name: string) =>
    r.rawBody.toString('latin1').match(new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)\\r\\n`))?.[1];

  /** The bytes of the first file part of a multipart/form-data request. */
  const multipartFile = (r: RecordedRequest): Buffer => {
    const boundary = /boundary=("?)([^";]+)\1/.exec(String(r.headers['content-type']))?.[2];
    expect(boundary, 'a multipart boundary').toBeDefined();
    const body = r.rawBody;
    const disposition = body.indexOf('filename=');
    expect(disposition, 'a file part').toBeGreaterThan(0);
    const start = body.indexOf('\r\n\r\n', disposition) + 4;
    const end = body.indexOf(`\r\n--${boundary}`, start);
    return body.subarray(start, end);
  };

  beforeAll(async () => {
    stub = await startStubServer();
    const slack = slackStubHandler(() => stub);
    const telegram = telegramStubHandler();
    stub.handle((r, res: ServerResponse) => {
      if (r.path.startsWith('/bot') && r.path.endsWith('/sendPhoto')) {
        return sendJson(res, 200, {
          ok: true,
          result: { message_id: 77, date: 0, chat: { id: -100, type: 'group' }, photo: [] },
        });
      }
      if (r.path.startsWith('/bot')) return telegram(r, res);
      if (r.path.startsWith('/api/v10/channels/'))
        return sendJson(res, 200, { id: '900', channel_id: r.path.split('/')[4], content: '' });
      if (r.path === '/api/files.getUploadURLExternal') {
        const id = `F${++nextFile}`;
        return sendJson(res, 200, { ok: true, upload_url: `${stub.url}/upload/${id}`, file_id: id });
      }
      if (r.path.startsWith('/upload/')) return sendJson(res, 200, { ok: true });
      if (r.path === '/api/files.completeUploadExternal') {
        if (form(r).channel_id === 'CFAIL') return sendJson(res, 200, { ok: false, error: 'not_in_channel' });
        return sendJson(res, 200, { ok: true, files: JSON.parse(form(r).files) });
      }
      return slack(r, res);
    });
    app = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token-1234567890',
        SLACK_API_URL: `${stub.url}/api/`,
        TELEGRAM_BOT_TOKEN: TELEGRAM_TOKEN,
        TELEGRAM_WEBHOOK_SECRET: TELEGRAM_SECRET,
        TELEGRAM_API_ROOT: stub.url,
        DISCORD_PUBLIC_KEY: discordKeys().publicKeyHex,
        DISCORD_BOT_TOKEN: 'discord-bot-token',
        DISCORD_API_URL: `${stub.url}/api`,
      },
    });
    f = await teamFixture(app);
    await sql(app, 'UPDATE teams SET name = $2 WHERE id = $1', [f.team.id, TEAM_NAME]);
    await sql(
      app,
      `INSERT INTO tasks (user_id, team_id, title, description, task_type, status, created_at, started_at, completed_at)
       VALUES ($1, $2, 't', 'd', 'summary', 'completed', date_trunc('week', now()) - interval '3 days',
               date_trunc('week', now()) - interval '3 days', date_trunc('week', now()) - interval '3 days' + interval '2 seconds')`,
      [f.member.user.id, f.team.id],
    );
  });
  afterAll(async () => {
    await app?.close();
    await stub?.close();
  });

  const schedule = async (deliverTo: { platform: string; channel: string }) => {
    const r = await f.teamAdmin.api.post('/api/reports/schedules', {
      report: 'usage',
      groupBy: 'team',
      every: 'week',
      teamId: f.team.id,
      deliverTo,
    });
    expect(r.status, r.text).toBe(201);
    return r.body.id as string;
  };

  it('Slack gets the text and a PNG upload to the channel; Telegram the text and a photo; Discord an attachment; a failed upload keeps the text', async () => {
    const ids = [
      await schedule({ platform: 'slack', channel: 'CCHART' }),
      await schedule({ platform: 'telegram', channel: '-1001234' }),
      await schedule({ platform: 'slack', channel: 'CFAIL' }),
      await schedule({ platform: 'discord', channel: '555000111' }),
    ];
    await sql(app, `UPDATE report_schedules SET next_run_at = date_trunc('week', now()) WHERE id = ANY($1)`, [
      ids,
    ]);
    await app.sy.boss.send(REPORT_SCHEDULES_QUEUE, null);

    // Slack: the text message…
    const text = await waitFor(
      async () =>
        stub.requests
          .filter((r) => r.path === '/api/chat.postMessage')
          .map(form)
          .find((b) => b.channel === 'CCHART'),
      'the report text in Slack',
    );
    expect(text.text).toContain('Usage by team');
    expect(text.text).toContain(TEAM_NAME);
    // …and the image, shared to that channel.
    const complete = await waitFor(
      async () =>
        stub.requests
          .filter((r) => r.path === '/api/files.completeUploadExternal')
          .map(form)
          .find((b) => b.channel_id === 'CCHART'),
      'the chart upload completed in Slack',
    );
    const [file] = JSON.parse(complete.files) as Array<{ id: string; title: string }>;
    expect(file!.title).toContain('Usage by team');
    const uploaded = stub.requests.find((r) => r.path === `/upload/${file!.id}`);
    expect(uploaded, 'the bytes posted to the upload URL').toBeDefined();
    const png = multipartFile(uploaded!);
    expect(png.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(pngSize(png).width).toBeGreaterThanOrEqual(400);
    const asked = stub.requests
      .filter((r) => r.path === '/api/files.getUploadURLExternal')
      .map(form)
      .find((b) => Number(b.length) === png.length);
    expect(asked?.filename).toMatch(/^usage-by-team-\d{4}-\d{2}-\d{2}\.png$/);

    // Telegram: the text, then a photo (multipart, the PNG as a file part) to the same chat.
    const tgText = await waitFor(
      async () =>
        stub.requests
          .filter((r) => r.path.endsWith('/sendMessage'))
          .map((r) => r.json())
          .find((b) => String(b.chat_id) === '-1001234'),
      'the report text in Telegram',
    );
    expect(tgText.text).toContain(TEAM_NAME);
    const photo = await waitFor(
      async () => stub.requests.find((r) => r.path.endsWith('/sendPhoto')),
      'the chart photo in Telegram',
    );
    expect(photo.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(multipartField(photo, 'chat_id')).toBe('-1001234');
    expect(multipartField(photo, 'caption')).toContain('Usage by team');
    const photoPng = multipartFile(photo);
    expect(photoPng.subarray(0, 8).equals(PNG_MAGIC)).toBe(true);
    expect(pngSize(photoPng).width).toBeGreaterThanOrEqual(400);

    // Discord: the text message, then a message with the PNG attached (multipart: payload_json + files[0]).
    const discordPosts = () => stub.requests.filter((r) => r.path === '/api/v10/channels/555000111/messages');
    const withFile = await waitFor(
      async () => discordPosts().find((r) => String(r.headers['content-type']).startsWith('multipart/')),
      'the chart attachment in Discord',
    );
    const discordText = discordPosts().find((r) => String(r.headers['content-type']).includes('json'));
    expect(discordText?.json().content).toContain(TEAM_NAME);
    expect(JSON.parse(multipartField(withFile, 'payload_json') ?? '{}')).toMatchObject({
      content: expect.stringContaining('Usage by team'),
      attachments: [{ id: 0, filename: expect.stringMatching(/\.png$/) }],
    });
    expect(multipartFile(withFile).subarray(0, 8).equals(PNG_MAGIC)).toBe(true);

    // The channel whose upload fails still got its text, and every schedule moved on.
    const failedText = await waitFor(
      async () =>
        stub.requests
          .filter((r) => r.path === '/api/chat.postMessage')
          .map(form)
          .find((b) => b.channel === 'CFAIL'),
      'the report text in the channel whose upload fails',
    );
    expect(failedText.text).toContain(TEAM_NAME);
    const warning = await waitFor(
      async () => app.logs.find((l) => l.includes('Could not add the chart image')),
      'the failed upload logged',
    );
    expect(JSON.parse(warning)).toMatchObject({
      level: 'warn',
      platform: 'slack',
      err: expect.stringContaining('not_in_channel'),
    });
    await waitFor(async () => {
      const rows = await sql<{ last_sent_at: Date | null }>(
        app,
        'SELECT last_sent_at FROM report_schedules WHERE id = ANY($1)',
        [ids],
      );
      return rows.length === 4 && rows.every((r) => r.last_sent_at !== null);
    }, 'all four schedules marked sent');
  });
});
