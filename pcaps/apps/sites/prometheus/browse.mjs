// An operator in Prometheus' web UI: runs expressions in the graph page, looks at targets,
// alerts, rules and the configuration.
const EXPRS = ['up', 'rate(node_cpu_seconds_total{mode="user"}[1m])', 'node_memory_MemAvailable_bytes / 1024 / 1024',
  'sum by (handler) (rate(prometheus_http_requests_total[5m]))', 'node_load5', 'ALERTS', 'prometheus_tsdb_head_samples_appended_total'];
const pick = (rnd, a) => a[Math.floor(rnd() * a.length)];
const think = (page, rnd, lo = 1500, hi = 6000) => page.waitForTimeout(lo + rnd() * (hi - lo));

export async function browse(page, base, rnd) {
  await page.goto(base + '/graph');
  const steps = 4 + Math.floor(rnd() * 6);
  for (let i = 0; i < steps; i++) {
    const a = rnd();
    if (a < 0.5) {
      await page.goto(base + '/graph');
      const box = page.locator('textarea, input.expression_input, .cm-content').first();
      await box.click();
      await page.keyboard.type(pick(rnd, EXPRS), { delay: 60 + rnd() * 120 });
      await page.keyboard.press('Enter');
      await think(page, rnd, 1000, 3000);
      const graphTab = page.locator('a', { hasText: 'Graph' }).first();
      if (rnd() < 0.5 && await graphTab.count()) await graphTab.click().catch(() => {});
    } else {
      await page.goto(base + pick(rnd, ['/targets', '/alerts', '/rules', '/config', '/status', '/flags', '/service-discovery']));
    }
    await think(page, rnd);
  }
}
