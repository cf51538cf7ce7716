// phpMyAdmin: a DBA logs in with a cookie, opens databases and tables, runs SQL, searches a table,
// looks at server status, and exports a table or database as SQL or CSV (a download).
const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const tables = [['shop', 'customers'], ['shop', 'products'], ['shop', 'orders'], ['inventory', 'warehouses'], ['inventory', 'movements']];
const queries = [
    'SELECT city, COUNT(*) AS n FROM customers GROUP BY city ORDER BY n DESC',
    "SELECT o.id, c.name, p.title, o.qty FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id WHERE o.status = 'paid' LIMIT 50",
    'SELECT * FROM products WHERE stock < 20 ORDER BY stock',
    "UPDATE products SET stock = stock + 5 WHERE sku = 'SKU-10%d'",
    'SELECT status, SUM(qty) FROM orders GROUP BY status',
    'SHOW CREATE TABLE orders',
];

async function login(page, base, rnd) {
    const user = users[(rnd.user - 1) % users.length];
    await page.goto(`${base}/index.php`);
    if (await page.locator('#input_username').count() === 0) return;
    await page.fill('#input_username', user);
    await page.fill('#input_password', `pw-${user}-2024`);
    await rnd.think(page, 500, 1500);
    await Promise.all([page.waitForLoadState(), page.click('#input_go')]);
    await page.waitForSelector('#pma_navigation', { timeout: 30000 });
}

export async function browse(page, base, rnd) {
    await login(page, base, rnd);
    for (let i = rnd.int(2, 5); i > 0; i--) {
        await rnd.think(page, 2000, 7000);
        const [db, table] = rnd.pick(tables);
        const r = rnd();
        if (r < 0.3) {
            await page.goto(`${base}/index.php?route=/sql&db=${db}&table=${table}&pos=0`);
            const next = page.locator('input[value=">"]').first();
            if (rnd() < 0.5 && await next.count()) await next.click();
        } else if (r < 0.55) {
            await page.goto(`${base}/index.php?route=/database/sql&db=shop`);
            await page.waitForSelector('.CodeMirror, #sqlquery', { state: 'attached' });
            const q = rnd.pick(queries).replace('%d', String(rnd.int(10, 99)));
            await page.evaluate((sql) => {
                const cm = document.querySelector('.CodeMirror');
                if (cm && cm.CodeMirror) cm.CodeMirror.setValue(sql); else document.querySelector('#sqlquery').value = sql;
            }, q);
            await rnd.think(page, 1000, 3000);
            await page.click('#button_submit_query');
            await page.waitForLoadState('networkidle').catch(() => {});
        } else if (r < 0.7) {
            await page.goto(`${base}/index.php?route=/database/structure&db=${db}`);
            await rnd.think(page, 1000, 3000);
            await page.goto(`${base}/index.php?route=/table/structure&db=${db}&table=${table}`);
        } else if (r < 0.8) {
            await page.goto(`${base}/index.php?route=/table/search&db=${db}&table=${table}`);
            const field = page.locator('input[name="criteriaValues[1]"]').first();
            if (await field.count()) {
                await field.fill(rnd.pick(['Berlin', 'lamp', '%a%', 'North', 'paid']));
                await page.click('#tbl_search_form input[type=submit], #tbl_search_form button[type=submit]').catch(() => {});
                await page.waitForLoadState('networkidle').catch(() => {});
            }
        } else if (r < 0.9) {
            await page.goto(`${base}/index.php?route=/table/export&db=${db}&table=${table}`);
            if (rnd() < 0.5) await page.selectOption('#plugins', 'csv').catch(() => {});
            const dl = page.waitForEvent('download', { timeout: 20000 }).catch(() => null);
            await page.click('#buttonGo');
            const d = await dl;
            if (d) await d.delete().catch(() => {});
        } else {
            await page.goto(`${base}/index.php?route=/server/status`);
            await rnd.think(page, 2000, 5000);
            await page.goto(`${base}/index.php?route=/server/variables`);
        }
    }
    if (rnd() < 0.2) await page.goto(`${base}/index.php?route=/logout`).catch(() => {});
}
