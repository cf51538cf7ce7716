// WordPress: readers browse, search and comment; staff log in, write in the block editor (REST
// with X-WP-Nonce), save quick drafts, upload media, moderate comments and change settings, and
// stay on admin pages long enough for the heartbeat (admin-ajax.php) to run.
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const words = ['deploy', 'garden', 'coffee', 'latency', 'mountain', 'release', 'pasta', 'kernel', 'train', 'backup'];

async function login(page, base, rnd) {
    const user = users[(rnd.user - 1) % users.length];
    await page.goto(`${base}/wp-admin/`);
    if (!page.url().includes('wp-login.php')) return;
    await page.fill('#user_login', user);
    await page.fill('#user_pass', `pw-${user}-2024`);
    if (rnd() < 0.5) await page.check('#rememberme');
    await rnd.think(page, 500, 1500);
    await Promise.all([page.waitForURL(/wp-admin/), page.click('#wp-submit')]);
}

async function read(page, base, rnd) {
    await page.goto(`${base}/`);
    for (let i = rnd.int(1, 4); i > 0; i--) {
        await rnd.think(page);
        const r = rnd();
        if (r < 0.5) {
            const links = await page.locator('main a[href*="/20"], .wp-block-post-title a').all();
            if (links.length) await Promise.all([page.waitForLoadState(), rnd.pick(links).click()]);
        } else if (r < 0.7) {
            await page.goto(`${base}/?s=${encodeURIComponent(rnd.pick(words))}`);
        } else if (r < 0.85) {
            await page.goto(`${base}/${rnd.pick(['about', 'contact', 'category/operations', 'category/travel', 'feed', 'no-such-page'])}/`).catch(() => {});
        } else {
            const box = page.locator('#comment');
            if (await box.count()) {
                await box.fill(`${rnd.pick(['Nice write-up', 'Thanks', 'I tried this too', 'Good point about'])} ${rnd.pick(words)}.`);
                if (await page.locator('#author').count()) {
                    await page.fill('#author', `Reader ${rnd.int(1, 99)}`);
                    await page.fill('#email', `reader${rnd.int(1, 99)}@mail.example`);
                }
                await Promise.all([page.waitForLoadState(), page.click('#submit, .wp-block-post-comments-form input[type=submit]')]);
            }
        }
    }
}

async function write(page, base, rnd) {
    await page.goto(`${base}/wp-admin/post-new.php`);
    await page.waitForSelector('.editor-post-title__input, [aria-label="Add title"]', { state: 'attached', timeout: 60000 });
    await rnd.think(page, 1500, 3000);
    await page.keyboard.press('Escape');              // the welcome guide
    const close = page.locator('.components-modal__screen-overlay button[aria-label="Close dialog"], .components-modal__screen-overlay button[aria-label="Close"]');
    if (await close.count() && await close.first().isVisible()) await close.first().click();
    const title = page.locator('.editor-post-title__input, h1[aria-label="Add title"]').first();
    await title.click();
    await page.keyboard.type(`${rnd.pick(['Notes on', 'Trip to', 'How we', 'Recipe:'])} ${rnd.pick(words)} ${rnd.int(1, 99)}`, { delay: 30 });
    await page.keyboard.press('Enter');
    for (let p = rnd.int(1, 3); p > 0; p--) {
        await page.keyboard.type(`Today we looked at ${rnd.pick(words)} and ${rnd.pick(words)}; it took ${rnd.int(2, 40)} minutes.`, { delay: 15 });
        await page.keyboard.press('Enter');
        await rnd.think(page, 800, 3000);
    }
    if (rnd() < 0.5) {
        await page.click('.editor-post-save-draft, button:has-text("Save draft")');
    } else {
        await page.click('.editor-post-publish-panel__toggle, .editor-post-publish-button__button');
        await rnd.think(page, 800, 1500);
        const publish = page.locator('.editor-post-publish-panel .editor-post-publish-button, .editor-post-publish-panel button:has-text("Publish")');
        if (await publish.count()) await publish.first().click();
    }
    await rnd.think(page, 3000, 8000);
}

async function admin(page, base, rnd) {
    const r = rnd();
    if (r < 0.3) {
        await page.goto(`${base}/wp-admin/index.php`);
        const title = page.locator('#quick-press #title');
        if (await title.count()) {
            await title.fill(`Idea: ${rnd.pick(words)} ${rnd.int(1, 999)}`);
            await page.fill('#quick-press #content', `Remember to check ${rnd.pick(words)}.`);
            await page.click('#quick-press #save-post');
        }
        await rnd.think(page, 15000, 40000);          // the dashboard's heartbeat and widgets
    } else if (r < 0.55) {
        await page.goto(`${base}/wp-admin/media-new.php?browser-uploader`);
        const shot = await page.screenshot({ type: rnd() < 0.5 ? 'png' : 'jpeg', clip: { x: 0, y: 0, width: rnd.int(200, 600), height: rnd.int(150, 400) } });
        await page.setInputFiles('#async-upload', { name: `screenshot-${rnd.int(1, 9999)}.png`, mimeType: 'image/png', buffer: shot });
        await Promise.all([page.waitForLoadState(), page.click('#html-upload')]);
        await page.goto(`${base}/wp-admin/upload.php?mode=list`);
    } else if (r < 0.75) {
        await page.goto(`${base}/wp-admin/edit-comments.php?comment_status=all`);
        const row = page.locator('#the-comment-list tr').first();
        if (await row.count()) {
            await row.hover();
            const link = row.locator('.unapprove a, .approve a').first();
            if (await link.count() && await link.isVisible()) await link.click();
        }
        await rnd.think(page, 3000, 10000);
    } else if (r < 0.85) {
        await page.goto(`${base}/wp-admin/options-general.php`);
        await page.fill('#blogdescription', `Notes from the lab team (${rnd.pick(words)})`);
        await Promise.all([page.waitForLoadState(), page.click('#submit')]);
    } else {
        await page.goto(`${base}/wp-admin/${rnd.pick(['edit.php', 'edit.php?post_type=page', 'users.php', 'plugins.php', 'themes.php', 'site-health.php', 'profile.php'])}`);
        await rnd.think(page, 5000, 20000);
    }
}

export async function browse(page, base, rnd) {
    const r = rnd();
    if (r < 0.35) return read(page, base, rnd);
    await login(page, base, rnd);
    if (r < 0.65) await write(page, base, rnd);
    else await admin(page, base, rnd);
    if (rnd() < 0.4) await read(page, base, rnd);
}
