/** OpenTelemetry: with the standard OTLP env variables, each GET /turno/:id is exported as a server span continuing the caller's trace. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { waitFor } from '../support/wait.js';
import { startTurno } from '../support/turno-process.js';

test('spans reach an OTLP/HTTP collector with the caller trace id, route, id and status', async () => {
  const bodies: string[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const port = (collector.address() as { port: number }).port;
  const turno = await startTurno(['--store', 'memory'], {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: 'turno-test', OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  try {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${turno.url}/turno/traced`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.deepEqual(await res.json(), { id: 'traced', turno: 1 });
    const found = await waitFor('span exported', () => bodies.find((b) => b.includes('GET /turno/:id')), 10_000, 100);
    const payload = JSON.parse(found) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; name: string; kind: number; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[] };
    const rs = payload.resourceSpans[0]!;
    assert.ok(rs.resource.attributes.some((a) => a.key === 'service.name' && a.value.stringValue === 'turno-test'));
    const span = rs.scopeSpans[0]!.spans[0]!;
    assert.equal(span.traceId, traceId, 'continues the caller trace');
    assert.equal(span.kind, 2, 'SERVER span');
    const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
    assert.equal(attrs['turno.id'], 'traced');
    assert.equal(Number(attrs['http.response.status_code']), 200);
    assert.equal(Number(attrs['turno.value']), 1);
  } finally {
    await turno.stop();
    collector.close();
  }
});
