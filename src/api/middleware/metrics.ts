import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

const histograms = new WeakMap<Registry, Histogram<'method' | 'route' | 'status'>>();

/** The HTTP duration histogram of a registry (one per registry: Express and the gateway's lean path share it). */
export function httpDuration(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  let hist = histograms.get(registry);
  if (!hist) {
    hist = new Histogram({
      name: 'switchyard_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    histograms.set(registry, hist);
  }
  return hist;
}

/** HTTP duration histogram by method, route pattern and status. */
export function httpMetrics(registry: Registry): RequestHandler {
  const hist = httpDuration(registry);
  return (req, res, next) => {
    const end = hist.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : req.baseUrl || 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
