import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApp, type TestApp } from '../helpers/app.js';

/**
 * No Docker engine or GitHub runner here: the compose file, Prometheus and Grafana provisioning,
 * the dashboard and the CI workflow are parsed and checked against the repository and the app.
 */
const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const yamlOf = (p: string) => parse(read(p), { merge: true });
/** A GitHub Actions expression as written in a workflow: `${{ … }}`. */
const gha = (expr: string) => `\${{ ${expr} }}`;

describe('docker-compose.yml', () => {
  const compose = yamlOf('docker-compose.yml');
  const services = compose.services as Record<string, any>;

  it('runs 2 API and 2 worker processes on one PostgreSQL, with the secrets they need', () => {
    expect(services.api.deploy.replicas).toBe(2);
    expect(services.worker.deploy.replicas).toBe(2);
    expect(services.api.command).toContain('--services=api');
    expect(services.worker.command).toContain('--services=worker');
    for (const s of [services.api, services.worker]) {
      expect(s.build).toBe('.');
      expect(s.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(s.depends_on.postgres.condition).toBe('service_healthy');
      for (const v of ['JWT_SECRET', 'ENCRYPTION_KEY', 'METRICS_TOKEN'])
        expect(s.environment[v]).toContain(`\${${v}:?`);
    }
    expect(services.worker.environment.METRICS_PORT).toBe('9464');
    expect(services.postgres.image).toMatch(/^postgres:1[5-9]/);
    expect(services.api.profiles).toBeUndefined();
  });

  it('the monitoring profile starts Prometheus and Grafana from files that exist', () => {
    for (const name of ['prometheus', 'grafana']) {
      expect(services[name].profiles).toEqual(['monitoring']);
      for (const v of services[name].volumes as string[]) {
        const [src] = v.split(':');
        if (src!.startsWith('./')) expect(existsSync(path.join(root, src!)), v).toBe(true);
      }
    }
    expect(services.prometheus.secrets).toContain('metrics_token');
    expect(compose.secrets.metrics_token.environment).toBe('METRICS_TOKEN');
  });

  it('Prometheus scrapes every api and worker replica with the token, on the ports they serve', () => {
    const prom = yamlOf('ops/prometheus/prometheus.yml');
    const jobs = Object.fromEntries((prom.scrape_configs as any[]).map((j) => [j.job_name, j]));
    const mountedAt = (services.prometheus.volumes as string[])
      .find((v) => v.startsWith('./ops/prometheus/prometheus.yml'))!
      .split(':')[1];
    expect(services.prometheus.command).toContain(`--config.file=${mountedAt}`);
    for (const [job, service, port] of [
      ['switchyard-api', 'api', 3000],
      ['switchyard-worker', 'worker', Number(services.worker.environment.METRICS_PORT)],
    ] as const) {
      expect(jobs[job].metrics_path).toBe('/metrics');
      expect(jobs[job].authorization).toEqual({
        type: 'Bearer',
        credentials_file: '/run/secrets/metrics_token',
      });
      expect(jobs[job].dns_sd_configs[0]).toMatchObject({ names: [service], type: 'A', port });
    }
  });

  it("Grafana's provisioning points at the mounted dashboards and at Prometheus", () => {
    const g = services.grafana.volumes as string[];
    const dashboardsAt = g.find((v) => v.startsWith('./ops/grafana/dashboards'))!.split(':')[1];
    const provider = yamlOf('ops/grafana/provisioning/dashboards/switchyard.yml').providers[0];
    expect(provider.options.path).toBe(dashboardsAt);
    const ds = yamlOf('ops/grafana/provisioning/datasources/prometheus.yml').datasources[0];
    expect(ds).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    const dashboard = JSON.parse(read('ops/grafana/dashboards/switchyard.json'));
    for (const p of dashboard.panels.filter((x: any) => x.type !== 'row'))
      expect(p.datasource.uid, p.title).toBe(ds.uid);
  });
});

describe('the Grafana dashboard', () => {
  let app: TestApp;
  let exported: Map<string, string>;
  beforeAll(async () => {
    app = await startTestApp();
    const text = await (await fetch(`${app.url}/metrics`)).text();
    // Every registered metric has a TYPE line, samples or not (a counter nobody incremented yet).
    exported = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('every panel query uses only metrics the app exports', () => {
    const dashboard = JSON.parse(read('ops/grafana/dashboards/switchyard.json'));
    const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
    expect(panels.length).toBeGreaterThanOrEqual(12);
    const used = new Set<string>();
    for (const p of panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) {
        const names = [...String(t.expr).matchAll(/\b((?:switchyard|nodejs|process)_[a-z0-9_]+)\b/g)].map(
          (m) => m[1]!,
        );
        expect(names.length, t.expr).toBeGreaterThan(0);
        for (const n of names) {
          const base = n.replace(/_(bucket|count|sum)$/, '');
          const known = exported.has(n) || exported.get(base) === 'histogram';
          expect(known, `${p.title}: ${n}`).toBe(true);
          used.add(exported.has(n) ? n : base);
        }
      }
    }
    // The signals each have a panel.
    for (const n of [
      'switchyard_queue_depth',
      'switchyard_queue_oldest_age_seconds',
      'switchyard_task_stage_duration_seconds',
      'switchyard_provider_request_duration_seconds',
      'switchyard_provider_errors_total',
      'switchyard_provider_tokens_total',
      'switchyard_provider_cost_usd_total',
      'switchyard_provider_budget_remaining_tokens',
      'switchyard_delivery_retries_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(used, n).toContain(n);
  });

  it('follows Prometheus naming: counters end in _total, durations in _seconds', () => {
    for (const [name, type] of exported) {
      if (!name.startsWith('switchyard_')) continue;
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (name.includes('duration') || name.includes('age')) expect(name).toMatch(/_seconds$/);
    }
  });
});

describe('.github/workflows/ci.yml', () => {
  const ci = yamlOf('.github/workflows/ci.yml');
  const steps = (job: string) => ci.jobs[job].steps as Array<{ run?: string; uses?: string; with?: any }>;
  const runs = (job: string) =>
    steps(job)
      .map((s) => s.run ?? '')
      .join('\n');

  it('runs the suite on Node 22 and 24 against PostgreSQL 15 and 17 service containers', () => {
    expect(ci.on.pull_request).toBeDefined();
    expect(ci.on.push).toBeDefined();
    const t = ci.jobs.test;
    expect(t.strategy.matrix.node).toEqual([22, 24]);
    expect(t.strategy.matrix.postgres).toEqual([15, 17]);
    expect(t.services.postgres.image).toBe(`postgres:${gha('matrix.postgres')}`);
    expect(t.services.postgres.ports).toContain('5432:5432');
    expect(t.services.postgres.options).toContain('--health-cmd');
    expect(t.env.DATABASE_URL).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:5432\/\w+$/);
    const setup = steps('test').find((s) => s.uses?.startsWith('actions/setup-node'));
    expect(setup?.with['node-version']).toBe(gha('matrix.node'));
    expect(runs('test')).toMatch(/^npm ci$/m);
    expect(runs('test')).toMatch(/^npm test$/m);
    expect(runs('lint')).toContain('npm run lint');
    expect(runs('lint')).toContain('npm run typecheck');
    const scripts = JSON.parse(read('package.json')).scripts;
    for (const s of ['test', 'lint', 'typecheck', 'bench:scaleout']) expect(scripts[s], s).toBeDefined();
  });

  it('builds the Docker image, starts it and waits for its HEALTHCHECK and /readyz', () => {
    const d = ci.jobs.docker;
    expect(steps('docker').some((s) => s.uses?.startsWith('docker/build-push-action') && s.with.load)).toBe(
      true,
    );
    const script = runs('docker');
    expect(script).toContain('docker run -d --name app');
    expect(script).toContain('{{.State.Health.Status}}');
    expect(script).toMatch(/curl --fail[^\n]*\/readyz/);
    expect(d.needs).toBe('lint');
    expect(read('Dockerfile')).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD [^\n]*\/readyz/m);
  });
});
