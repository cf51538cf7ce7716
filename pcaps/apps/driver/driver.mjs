// driver.mjs - one benign browser user of the application lab: headless Debian Chromium over the
// DevTools protocol (playwright-core, no browser download), a fresh profile, and a seeded choice of
// sites whose scenario modules (site_browse) do real work with think times in between.
//
// node driver.mjs --sites FILE --seed S --seconds N --profile DIR --user I
//   FILE lines: site<TAB>base URL<TAB>module path. The source address comes from the runner
//   (LD_PRELOAD shim, $TSAPPS_BIND_ADDR); nothing here knows it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) => (i % 2 === 0 ? [...acc, [v.replace(/^--/, ''), a[i + 1]]] : acc), []));
const seconds = Number(args.seconds ?? 60);
const user = Number(args.user ?? 1);
const deadline = Date.now() + seconds * 1000;

// mulberry32: small, seedable, good enough to make choices and think times reproducible
function prng(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
const rnd = prng(Number(args.seed ?? 1));
rnd.user = user;                                 // scenario modules pick their account from it
rnd.pick = (xs) => xs[Math.floor(rnd() * xs.length)];
rnd.int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
rnd.deadline = deadline;
rnd.think = async (page, lo = 1500, hi = 6000) => {
    const ms = Math.min(lo + rnd() * (hi - lo), Math.max(0, deadline - Date.now()));
    if (ms > 0) await page.waitForTimeout(ms);
};

const sites = readFileSync(args.sites, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [name, base, module] = l.split('\t');
    return { name, base, module };
});
for (const s of sites) s.browse = (await import(pathToFileURL(s.module).href)).browse;
const log = (...m) => console.log(new Date().toISOString(), `user${user}`, ...m);

// Headless Chromium says "HeadlessChrome" in its User-Agent; people's browsers do not. Same
// version, reduced the way Chrome reduces it (Chrome/156.0.0.0); the client hints stay Chromium's own.
const major = /(\d+)\./.exec(execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }))?.[1] ?? '156';
const userAgent = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`;

const context = await chromium.launchPersistentContext(args.profile, {
    userAgent,
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1366, height: 800 },
    locale: 'en-US',
    timezoneId: 'UTC',
    acceptDownloads: true,
});
context.setDefaultTimeout(30000);
context.setDefaultNavigationTimeout(45000);
const page = context.pages()[0] ?? await context.newPage();
page.on('dialog', (d) => d.accept().catch(() => {}));

let rounds = 0, errors = 0;
while (Date.now() < deadline - 5000) {
    const site = rnd.pick(sites);
    const started = Date.now();
    try {
        log('browse', site.name);
        await site.browse(page, site.base, rnd);
        log('done', site.name, `${Math.round((Date.now() - started) / 1000)}s`);
    } catch (e) {
        errors++;
        log('ERROR', site.name, page.url(), String(e?.message ?? e).split('\n')[0]);
        if (process.env.TSAPPS_DEBUG) await page.screenshot({ path: `${process.env.TSAPPS_DEBUG}/user${user}-${rounds}.png` }).catch(() => {});
        if (page.isClosed()) break;
    }
    rounds++;
    await rnd.think(page, 2000, 8000).catch(() => {});
}
log(`finished: ${rounds} rounds, ${errors} errors`);
await context.close().catch(() => {});
process.exit(0);
