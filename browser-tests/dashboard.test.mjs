// End-to-end test of the server-rendered Consign dashboard in headless Chromium.
//
// Runs against an already running server; `browser-tests/run.sh` prepares a demo database,
// starts `consign serve` and sets the environment:
//   CONSIGN_URL              base URL of the server, e.g. http://127.0.0.1:8080
//   CONSIGN_ADMIN_EMAIL      administrator login (reaches every tenant)
//   CONSIGN_ADMIN_PASSWORD
//   CONSIGN_CLIENT_EMAIL     client manager login (reaches one tenant only: the demo's first, northwind)
//   CONSIGN_CLIENT_PASSWORD
//   CONSIGN_AGENT_EMAIL      optional: an agent of the demo's desk (ava@provider.demo), same password
//   CONSIGN_SUPERVISOR_EMAIL optional: the desk's supervisor (sam@provider.demo), same password
//   CONSIGN_SCREENSHOT_DIR   optional: PNG screenshots of the overview, orders and scorecard pages go here
//
// Uses Debian's Chromium (/usr/bin/chromium) through playwright-core; no browser download.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required (see browser-tests/run.sh)`);
  return v;
}

const BASE = required('CONSIGN_URL').replace(/\/+$/, '');
const ADMIN = { email: required('CONSIGN_ADMIN_EMAIL'), password: required('CONSIGN_ADMIN_PASSWORD') };
const CLIENT = { email: required('CONSIGN_CLIENT_EMAIL'), password: required('CONSIGN_CLIENT_PASSWORD') };
// The demo's agents share the demo's one password (see `consign demo`'s summary).
const AGENT = { email: process.env.CONSIGN_AGENT_EMAIL || 'ava@provider.demo', password: ADMIN.password };
const SUPERVISOR = { email: process.env.CONSIGN_SUPERVISOR_EMAIL || 'sam@provider.demo', password: ADMIN.password };
const CARRIER = { email: required('CONSIGN_CARRIER_EMAIL'), password: ADMIN.password };
const SCREENSHOT_DIR = process.env.CONSIGN_SCREENSHOT_DIR || '';
const CHROMIUM = process.env.CONSIGN_CHROMIUM || '/usr/bin/chromium';

const url = (p) => BASE + p;
const pathOf = (page) => new URL(page.url()).pathname;

let browser;
/** Admin session shared by the tests that follow its sign-in (b, c, d, e, f). */
let adminContext;
let adminPage;
/** Tenant slugs in the order the admin overview lists them. */
let tenantSlugs = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  if (SCREENSHOT_DIR) await mkdir(SCREENSHOT_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  return { context, page };
}

async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Reloads the page at tablet and phone widths, fails if it scrolls sideways at either, saves
 * a screenshot of each (`name-768`, `name-390`) and goes back to the desktop width.
 */
async function readsAtEveryWidth(page, what, name) {
  for (const width of [768, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.reload();
    const scrolls = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    assert.equal(scrolls, false, `${what} scrolls sideways at ${width} px`);
    await screenshot(page, `${name}-${width}`);
  }
  await page.setViewportSize({ width: 1360, height: 900 });
}

/** Fills the sign-in form and submits it; resolves with the response to the form POST. */
async function submitLogin(page, { email, password }) {
  if (pathOf(page) !== '/login') await page.goto(url('/login'));
  await page.fill('#email', email);
  await page.fill('#password', password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST'),
    page.click('form.login button[type=submit]'),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/** Signs in through the form and waits for the overview. */
async function signIn(page, who) {
  await page.goto(url('/login'));
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await Promise.all([
    page.waitForURL((u) => u.pathname === '/app'),
    page.click('form.login button[type=submit]'),
  ]);
}

/** Cells' text of every body row of a table. */
function tableRows(page, selector) {
  return page.$$eval(`${selector} tbody tr`, (rows) =>
    rows.map((r) => Array.from(r.cells, (c) => c.textContent.trim())),
  );
}

/** Tenant cards of the overview: slug and numeric KPIs. */
function tenantCards(page) {
  return page.$$eval('.card[data-tenant]', (cards) =>
    cards.map((c) => ({
      slug: c.getAttribute('data-tenant'),
      orders: c.querySelector('[data-kpi=orders]')?.textContent.trim() ?? '',
      shipments: c.querySelector('[data-kpi=shipments]')?.textContent.trim() ?? '',
    })),
  );
}

const STATUS_COL = 9; // orders table: Number … Status (10 columns)
const CARRIER_COL = 1; // shipments table: Number, Carrier, …

test('a. /app without a session redirects to /login; a wrong password is refused', async () => {
  const { context, page } = await newPage();
  try {
    await page.goto(url('/app'));
    assert.equal(pathOf(page), '/login', 'unauthenticated /app must end on /login');
    assert.ok(await page.isVisible('#email'), 'login form shows an e-mail field');

    const response = await submitLogin(page, { email: ADMIN.email, password: ADMIN.password + '-wrong' });
    assert.equal(response.status(), 401, 'wrong password answers 401');
    assert.equal(pathOf(page), '/login', 'stays on the login page');
    const error = (await page.textContent('.error'))?.trim();
    assert.equal(error, 'E-mail or password is wrong.');
    assert.equal(await page.inputValue('#email'), ADMIN.email, 'e-mail is kept in the form');
    const cookies = await context.cookies();
    assert.equal(cookies.length, 0, `no session cookie after a failed sign-in, got ${JSON.stringify(cookies)}`);
  } finally {
    await context.close();
  }
});

test('b. admin signs in and sees a card per tenant with order counts', async () => {
  ({ context: adminContext, page: adminPage } = await newPage());
  await signIn(adminPage, ADMIN);
  assert.equal(pathOf(adminPage), '/app');

  const cards = await tenantCards(adminPage);
  assert.ok(cards.length >= 2, `expected at least 2 tenant cards, got ${cards.length}`);
  for (const c of cards) {
    assert.match(c.slug, /^[a-z0-9-]+$/, `card slug ${c.slug}`);
    // Counts carry thousands separators (12,345).
    assert.match(c.orders, /^\d{1,3}(,\d{3})*$/, `orders KPI of ${c.slug} is a number: '${c.orders}'`);
    assert.ok(Number(c.orders.replace(/,/g, '')) > 0, `orders KPI of ${c.slug} is > 0: ${c.orders}`);
    assert.match(c.shipments, /^\d{1,3}(,\d{3})*$/, `shipments KPI of ${c.slug} is a number: '${c.shipments}'`);
  }
  tenantSlugs = cards.map((c) => c.slug);
  assert.equal(new Set(tenantSlugs).size, tenantSlugs.length, 'tenant slugs are unique');
  await screenshot(adminPage, 'overview');
  // On a tablet and a phone the header wraps instead of widening the page.
  for (const width of [768, 390]) {
    await adminPage.setViewportSize({ width, height: 900 });
    await adminPage.reload();
    const scrolls = await adminPage.evaluate(
      () => document.documentElement.scrollWidth > window.innerWidth,
    );
    assert.equal(scrolls, false, `the overview scrolls sideways at ${width} px`);
    await screenshot(adminPage, `overview-${width}`);
  }
  await adminPage.setViewportSize({ width: 1360, height: 900 });
});

test('c. orders page: page size, status filter, search and pager', async () => {
  assert.ok(adminPage && tenantSlugs.length, 'needs the admin session from test b');
  const page = adminPage;
  const slug = tenantSlugs[0];
  const ordersPath = `/app/${slug}/orders`;

  const response = await page.goto(url(ordersPath));
  assert.equal(response.status(), 200);
  const all = await tableRows(page, '#orders');
  assert.equal(all.length, 50, 'first page holds 50 orders (page size)');
  const firstNumber = all[0][0];
  assert.ok(firstNumber, 'first row has an order number');
  await screenshot(page, 'orders');
  // On a desktop screen every column, the status last, is in view without scrolling sideways.
  const overflow = await page.$eval('#orders', (t) => t.parentElement.scrollWidth - t.parentElement.clientWidth);
  assert.ok(overflow <= 0, `the orders table fits a 1360 px screen (${overflow} px too wide)`);
  await readsAtEveryWidth(page, 'the orders list', 'orders');

  // Filter by status "delivered".
  await page.selectOption('select[name=status]', 'delivered');
  await Promise.all([
    page.waitForURL((u) => u.pathname === ordersPath && u.searchParams.get('status') === 'delivered'),
    page.click('form.filters button[type=submit]'),
  ]);
  const delivered = await tableRows(page, '#orders');
  assert.ok(delivered.length > 0, 'some orders are delivered');
  assert.ok(delivered.length <= 50);
  for (const r of delivered) assert.equal(r[STATUS_COL], 'delivered', `order ${r[0]} has status ${r[STATUS_COL]}`);
  assert.equal(await page.inputValue('select[name=status]'), 'delivered', 'the filter stays selected');

  // Search for the first order's number (any status).
  await page.goto(url(ordersPath));
  await page.fill('form.filters input[name=q]', firstNumber);
  await page.selectOption('select[name=status]', '');
  await Promise.all([
    page.waitForURL((u) => u.pathname === ordersPath && u.searchParams.get('q') === firstNumber),
    page.click('form.filters button[type=submit]'),
  ]);
  const found = await tableRows(page, '#orders');
  assert.deepEqual(found.map((r) => r[0]), [firstNumber], `searching ${firstNumber} finds exactly that order`);
  assert.equal(await page.inputValue('form.filters input[name=q]'), firstNumber, 'the search text stays in the field');

  // Pager: the list says how many match; the next page starts with another order, and the
  // previous page is the first again.
  await page.goto(url(ordersPath));
  const count = (await page.locator('[data-count]').first().textContent()).trim();
  assert.match(count, /^1–50 of [\d,]+$/, `the list says how many orders match: ${count}`);
  const older = page.locator('a[rel=next]').first();
  assert.equal(await page.locator('a[rel=next]').count(), 2, 'pager links above and below a full page');
  await Promise.all([
    page.waitForURL((u) => u.pathname === ordersPath && u.searchParams.has('cursor')),
    older.click(),
  ]);
  const next = await tableRows(page, '#orders');
  assert.ok(next.length > 0, 'the older page has orders');
  assert.notEqual(next[0][0], firstNumber, 'the older page starts with a different order');
  const firstPageNumbers = new Set(all.map((r) => r[0]));
  for (const r of next) assert.ok(!firstPageNumbers.has(r[0]), `order ${r[0]} appears on both pages`);
  assert.match((await page.locator('[data-count]').first().textContent()).trim(), /^51–\d+ of /);
  await Promise.all([
    page.waitForURL((u) => u.pathname === ordersPath && !u.searchParams.has('cursor')),
    page.locator('a[rel=prev]').first().click(),
  ]);
  const back = await tableRows(page, '#orders');
  assert.equal(back[0][0], firstNumber, 'the previous page is the first page again');
});

test('d. shipments page lists shipments with a carrier', async () => {
  assert.ok(adminPage && tenantSlugs.length, 'needs the admin session from test b');
  const page = adminPage;
  const response = await page.goto(url(`/app/${tenantSlugs[0]}/shipments`));
  assert.equal(response.status(), 200);
  const rows = await tableRows(page, '#shipments');
  assert.ok(rows.length > 0, 'shipments are listed');
  for (const r of rows) assert.ok(r[CARRIER_COL].length > 0, `shipment ${r[0]} has a carrier`);
  // A row opens the shipment's page: its facts, its events with their source and raw code
  // (a delivered one: the newest may not have been picked up yet).
  await page.goto(url(`/app/${tenantSlugs[0]}/shipments?status=delivered`));
  const delivered = await tableRows(page, '#shipments');
  await Promise.all([
    page.waitForURL((u) => /\/shipments\/[0-9a-f-]+$/.test(u.pathname)),
    page.click('#shipments tbody tr a'),
  ]);
  assert.match(await page.textContent('h1'), new RegExp(`Shipment ${delivered[0][0]}`));
  const events = await tableRows(page, '#events');
  assert.ok(events.length > 0, 'the shipment page lists its tracking events');
  assert.ok(events.every((e) => e[5].length > 0), 'every event names its source');
  await screenshot(page, 'shipment');
  await readsAtEveryWidth(page, 'the shipment page', 'shipment');
  // A shipment that is not there answers with the 404 page, in HTML.
  const missing = await page.goto(url(`/app/${tenantSlugs[0]}/shipments/01a24288-b3dd-7000-8000-000000000007`));
  assert.equal(missing.status(), 404);
  assert.match(await page.textContent('h1'), /404 · Not found/);
  await screenshot(page, 'not-found');
});

test('e. client manager reaches only their tenant', async () => {
  assert.ok(tenantSlugs.length >= 2, 'needs the tenant list from test b');
  const { context, page } = await newPage();
  try {
    await signIn(page, CLIENT);
    const cards = await tenantCards(page);
    assert.equal(cards.length, 1, `client manager sees exactly one tenant, got ${cards.map((c) => c.slug)}`);
    const own = cards[0].slug;
    // The overview lists tenants by name, so the manager's tenant (the demo's first tenant,
    // northwind) need not be the admin's first card: only require that it is one of them.
    assert.ok(tenantSlugs.includes(own), `the client manager's tenant ${own} is one of ${tenantSlugs}`);
    const navTenants = await page.$$eval('header a[href^="/app/"]:not([data-nav])', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(navTenants, [`/app/${own}/shipments`], 'the header links only the own tenant');

    const ok = await page.goto(url(`/app/${own}/orders`));
    assert.equal(ok.status(), 200, 'own tenant orders page opens');

    const other = tenantSlugs.find((s) => s !== own);
    const denied = await page.goto(url(`/app/${other}/orders`));
    assert.equal(denied.status(), 404, `/app/${other}/orders answers 404 to the client manager`);
    assert.equal(await page.$('#orders'), null, 'no orders table of the other tenant is shown');
  } finally {
    await context.close();
  }
});

test('e2. the client manager reads their scorecard: figures, trends, bars, on every width', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, CLIENT);
    const own = (await tenantCards(page))[0].slug;
    await Promise.all([
      page.waitForURL((u) => u.pathname === `/app/${own}/scorecard`),
      page.click(`.card[data-tenant="${own}"] a[data-link=scorecard]`),
    ]);
    const title = await page.textContent('h1');
    assert.match(title, /scorecard \d{4}-W\d{2}/, `the last complete week: ${title}`);
    const cards = await page.$$eval('section.card', (cs) =>
      cs.map((c) => ({
        label: c.querySelector('h3').textContent.trim(),
        value: c.querySelector('.num').textContent.trim(),
        counts: c.querySelector('.basis').textContent.trim(),
        trend: !!c.querySelector('svg.chart'),
      })),
    );
    const byLabel = Object.fromEntries(cards.map((c) => [c.label, c]));
    for (const label of ['On-time delivery', 'OTIF', 'Perfect order', 'Exception rate']) {
      const c = byLabel[label];
      assert.ok(c, `a ${label} card`);
      assert.ok(c.trend, `${label} has its trend chart`);
      const m = c.counts.match(/^(\d+) of (\d+)/);
      assert.ok(m, `${label} says what it counts: ${c.counts}`);
      assert.ok(Number(m[2]) > 0, `${label} counted something in the demo's last week: ${c.counts}`);
      assert.match(c.value, /^\d+\.\d %$/, `${label} shows a percentage: ${c.value}`);
    }
    // Each trend has a dot per period that counted something, the current one marked.
    const dots = await page.$$eval('svg.chart', (ss) => ss.map((s) => s.querySelectorAll('circle').length));
    assert.ok(dots.slice(0, 4).every((n) => n >= 6), `weeks of history in every trend: ${dots}`);
    const bars = await page.$$eval('svg.bars', (ss) => ss.map((s) => s.querySelectorAll('rect.bar').length));
    assert.ok(bars.length === 5 && bars[0] >= 2, `bars by carrier and party: ${bars}`);
    await screenshot(page, 'scorecard');
    // The figure's records: its numerator opens the dashboard's list of the shipments it
    // counted as on time, narrowed and labelled.
    const onTime = await page.$$eval('section.card', (cs) => {
      const c = cs.find((x) => x.querySelector('h3').textContent.trim() === 'On-time delivery');
      const a = c.querySelector('a[data-records=hits]');
      return { href: a.getAttribute('href'), n: Number(a.textContent) };
    });
    assert.match(onTime.href, new RegExp(`^/app/${own}/shipments\\?kpi=on_time_delivery&kpi_period=`));
    const back = page.url();
    await page.goto(url(onTime.href));
    const banner = await page.textContent('p.records');
    assert.match(banner, /on time delivery, the ones it counted as met in \d{4}-W\d{2}/);
    const rows = (await tableRows(page, 'table')).length;
    assert.equal(rows, Math.min(onTime.n, 50), `the list holds the ${onTime.n} shipments counted as on time (a page of 50)`);
    await screenshot(page, 'scorecard-records');
    await page.goto(back);
    await readsAtEveryWidth(page, 'the scorecard', 'scorecard');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('nav.toolbar'), false, 'the toolbar is not printed');
    await screenshot(page, 'scorecard-print');
    await page.emulateMedia({ media: 'screen' });
    // The week before, and the CSV of the same scorecard.
    const before = await page.textContent('h1');
    await Promise.all([page.waitForLoadState('load'), page.click('nav.toolbar a[rel=prev]')]);
    assert.notEqual(await page.textContent('h1'), before, 'previous goes to another week');
    const csvHref = await page.getAttribute('nav.toolbar a[download]', 'href');
    const csv = await page.request.get(url(csvHref));
    assert.equal(csv.status(), 200);
    assert.match(await csv.text(), /^section,item,period,numerator,denominator,value/);
    // Another tenant's scorecard is not there for this manager.
    const other = tenantSlugs.find((x) => x !== own);
    const denied = await page.goto(url(`/app/${other}/scorecard`));
    assert.equal(denied.status(), 404);
  } finally {
    await context.close();
  }
});

test('g. an agent works a case from the queue to resolution; the client sees only what is external', async () => {
  const { context, page } = await newPage();
  const client = await newPage();
  try {
    await signIn(page, AGENT);
    const slug = 'northwind';
    // Ava works in the carrier desk, which hands out cases round-robin: she starts on her
    // own cases, and her team's queue is one of her tabs.
    await page.goto(url(`/app/${slug}/cases`));
    assert.equal((await page.textContent('nav.tabs a.current')).trim(), 'My cases');
    const tabs = await page.$$eval('nav.tabs a', (as) => as.map((a) => a.textContent.trim()));
    assert.ok(tabs.includes('Team carrier-desk'), `her team's queue: ${tabs}`);
    const rows = await tableRows(page, '#cases');
    assert.ok(rows.length > 0, 'the demo has open cases in the queue');
    // The queue is ordered by the next SLA deadline: breached first, then due soonest.
    const dues = rows.map((r) => r[1]);
    const firstDue = dues.findIndex((d) => d.startsWith('due in'));
    if (firstDue >= 0) {
      assert.ok(dues.slice(firstDue).every((d) => !d.startsWith('breached')), `breached before due: ${dues}`);
    }
    await screenshot(page, 'cases-queue');
    await readsAtEveryWidth(page, 'the queue', 'cases-queue');
    await page.reload();

    // The first case of the queue, through its link (htmx swaps the page, no reload).
    const link = page.locator('#cases tbody tr a').first();
    const number = (await link.textContent()).trim();
    await Promise.all([page.waitForURL((u) => /\/cases\/[0-9a-f-]+$/.test(u.pathname)), link.click()]);
    const casePath = pathOf(page);
    assert.match(await page.textContent('h1'), new RegExp(number));
    const marker = await page.evaluate(() => (window.__noReload = Math.random()));

    // Take it, answer the client with an external note, leave an internal one, resolve.
    // The server's own workers (SLA timers, sweeps) may change the case between loading the
    // page and a click; the page then says so and shows the case as it is, and the agent acts
    // again. `act` clicks, waits for the change or that explanation, and retries on it.
    const act = async (selector, done, arg) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        // An explanation still on the page is the last form's, not this one's.
        await page.evaluate(() => document.querySelector('#problem')?.remove());
        await page.click(selector);
        const outcome = await Promise.race([
          page.waitForFunction(done, arg).then(() => 'done'),
          page.waitForSelector('#problem').then(async () => (await page.textContent('#problem')).trim()),
        ]);
        if (outcome === 'done') return;
        assert.match(outcome, /changed while you had it open/, `the action was refused: ${outcome}`);
      }
      assert.fail(`${selector} kept meeting a changed case`);
    };
    if (await page.isVisible('#take')) {
      await act('#take', () => document.querySelector('#assignee')?.textContent.trim() === 'me');
    }
    assert.ok(await page.isVisible('#assignee-pick'), 'her own case she may hand to a teammate');
    assert.equal((await page.textContent('#assignee')).trim(), 'me', 'the case is the agent\'s');
    const external = `Carrier confirmed a new delivery date ${Date.now()}`;
    const internal = `Depot manager is slow to answer ${Date.now()}`;
    await page.fill('#note-text', external);
    await page.check('input[name=visibility][value=external]');
    await act('#add-note', (t) => document.querySelector('#timeline')?.textContent.includes(t), external);
    await page.fill('#note-text', internal);
    await act('#add-note', (t) => document.querySelector('#timeline')?.textContent.includes(t), internal);
    const timeline = await page.textContent('#timeline');
    assert.ok(timeline.includes(external) && timeline.includes(internal), 'both notes are on the timeline');
    assert.equal(await page.evaluate(() => window.__noReload), marker, 'the actions did not reload the page');
    await screenshot(page, 'case-page');

    // A message from a template, previewed against the case, then sent (it goes to the
    // outbox; the timeline shows it as external).
    const choices = await page.$$eval('#msg-template option', (os) => os.map((o) => ({ value: o.value, audience: o.dataset.audience })));
    const templated = choices.find((o) => o.value && o.audience === 'customer') || choices.find((o) => o.value);
    assert.ok(templated, `templates are offered for the case: ${JSON.stringify(choices)}`);
    await page.selectOption('#msg-template', templated.value);
    await page.fill('#msg-address', 'ops-test@customer.example');
    await page.click('#msg-preview');
    await page.waitForSelector('#preview');
    assert.ok((await page.textContent('#preview-body')).trim().length > 20, 'the preview shows the rendered text');
    await screenshot(page, 'case-page-preview');
    await page.selectOption('#msg-template', templated.value);
    await page.fill('#msg-address', 'ops-test@customer.example');
    await act('#msg-send', () => document.querySelector('#timeline')?.textContent.includes('message out'));

    // A stale form is refused and explained, not applied over the newer case.
    const version = await page.getAttribute('form:has(#resolve) input[name=version]', 'value');
    await page.evaluate(() => {
      for (const i of document.querySelectorAll('form:has(#resolve) input[name=version]')) i.value = String(Number(i.value) - 1);
    });
    await page.selectOption('#code-pick', 'customer_informed');
    await page.click('#resolve');
    await page.waitForSelector('#problem');
    assert.match(await page.textContent('#problem'), /changed while you had it open/);
    assert.notEqual((await page.textContent('#case-status')).trim(), 'resolved');
    assert.ok(Number(version) > 1);

    await page.selectOption('#code-pick', 'customer_informed');
    await act('#resolve', () => document.querySelector('#case-status')?.textContent.trim() === 'resolved');
    assert.ok(await page.isVisible('#reopen'), 'a resolved case can be reopened');
    await readsAtEveryWidth(page, 'the case page', 'case-page');

    // The client manager reads the same case: the external note, not the internal one,
    // and no desk controls.
    await signIn(client.page, CLIENT);
    const res = await client.page.goto(url(casePath));
    assert.equal(res.status(), 200);
    const seen = await client.page.textContent('#timeline');
    assert.ok(seen.includes(external), 'the client sees the external note');
    assert.ok(!seen.includes(internal), 'the client does not see the internal note');
    assert.equal(await client.page.$('#resolve'), null, 'no desk actions for the client');
    await screenshot(client.page, 'case-page-client');
    // A case id that is not there is a 404 page, not a blank one.
    const missing = await client.page.goto(url(`/app/${slug}/cases/01a24288-b3dd-7000-8000-000000000007`));
    assert.equal(missing.status(), 404);
  } finally {
    await context.close();
    await client.context.close();
  }
});

test('h. a supervisor assigns several cases at once; a stale selection changes nothing', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, SUPERVISOR);
    await page.goto(url('/app/northwind/cases?scope=open'));
    const boxes = page.locator('#cases tbody input[type=checkbox]');
    assert.ok((await boxes.count()) >= 2, 'the open queue has cases to select');
    const picked = [await boxes.nth(0).getAttribute('value'), await boxes.nth(1).getAttribute('value')];
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.selectOption('#bulk-team', 'carrier-desk');
    await page.selectOption('#bulk-person', { label: 'Ben Okafor' });
    await page.click('#bulk-submit');
    await page.waitForSelector('#done');
    assert.match(await page.textContent('#done'), /assign on 2 cases/);
    await screenshot(page, 'cases-bulk');
    for (const id of picked) {
      await page.goto(url(`/app/northwind/cases/${id}`));
      assert.equal((await page.textContent('#assignee')).trim(), 'Ben Okafor', `case ${id} went to Ben`);
    }
    // A case id that is not in this tenant: the whole selection is refused, nothing changes.
    await page.goto(url('/app/northwind/cases?scope=open'));
    await page.locator('#cases tbody input[type=checkbox]').first().check();
    await page.evaluate(() => {
      const i = document.querySelector('#cases tbody input[type=checkbox]');
      const extra = i.cloneNode();
      extra.value = '01a24288-b3dd-7000-8000-000000000007';
      extra.checked = true;
      i.parentElement.appendChild(extra);
    });
    await page.selectOption('#bulk-person', { label: 'Cleo Nguyen' });
    await page.selectOption('#bulk-team', 'customer-care');
    await page.click('#bulk-submit');
    await page.waitForSelector('#problem');
    assert.match(await page.textContent('#problem'), /selection|changed|not/i);
  } finally {
    await context.close();
  }
});

test('i. home is the work: each role\'s counts open exactly their cases; the queue works by keyboard', async () => {
  const noSideScroll = async (page, what) => {
    await readsAtEveryWidth(page, what, what);
    await page.reload();
  };
  const count = async (page, selector) => Number((await page.textContent(selector)).replace(/,/g, '').trim());
  const agent = await newPage();
  const boss = await newPage();
  const client = await newPage();
  try {
    // The agent: her own cases lead the page, and the tile's count is her queue's length.
    const page = agent.page;
    await signIn(page, AGENT);
    const mine = await count(page, '#tiles a[href="/app/cases?scope=mine"] .num');
    assert.ok(mine > 0, 'the demo gives the agent cases of her own');
    const firstOfMine = await page.$$eval('section.work', (s) => s[0].querySelector('h2').textContent);
    assert.match(firstOfMine, /My cases/);
    await screenshot(page, 'home-agent');
    await noSideScroll(page, 'home-agent');
    await Promise.all([page.waitForURL((u) => u.search === '?scope=mine'), page.click('#tiles a[href="/app/cases?scope=mine"]')]);
    const rows = await tableRows(page, '#cases');
    assert.equal(rows.length, Math.min(mine, 50), 'the tile counts what its queue lists');
    // Both demo tenants in one queue, with the client named on each row.
    await page.goto(url('/app/cases?scope=open'));
    const clients = new Set((await tableRows(page, '#cases')).map((r) => r[2]));
    assert.ok(clients.size >= 2, `one queue across the clients: ${[...clients]}`);
    await screenshot(page, 'queue-all-clients');
    await noSideScroll(page, 'queue-all-clients');

    // Keyboard: j and k move through the rows with a visible focus, Enter opens the case.
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const current = await page.$$eval('#cases tbody tr', (trs) => trs.findIndex((tr) => tr.classList.contains('kb-current')));
    assert.equal(current, 0, 'j j k lands on the first row');
    const focused = await page.evaluate(() => document.activeElement?.textContent.trim());
    const number = (await page.locator('#cases tbody tr a').first().textContent()).trim();
    assert.equal(focused, number, 'the current row\'s case link has the focus');
    await Promise.all([page.waitForURL((u) => /\/cases\/[0-9a-f-]+$/.test(u.pathname)), page.keyboard.press('Enter')]);
    assert.match(await page.textContent('h1'), new RegExp(number));
    // On the case page, n puts the cursor in the note; q goes back to the queue.
    await page.keyboard.press('n');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'note-text');
    await page.keyboard.press('Escape');
    await Promise.all([page.waitForURL((u) => u.pathname === '/app/cases'), page.keyboard.press('q')]);

    // The header's search: a tracking number typed in lower case opens its shipment; a
    // part of one lists the matches with their client.
    await page.goto(url('/app/northwind/shipments'));
    const [shipmentNumber, , , tracking] = (await tableRows(page, '#shipments'))[0];
    await page.fill('#nav-q', tracking.toLowerCase());
    await Promise.all([page.waitForURL((u) => /\/shipments\/[0-9a-f-]+$/.test(u.pathname)), page.press('#nav-q', 'Enter')]);
    assert.match(await page.textContent('h1'), new RegExp(shipmentNumber));
    // The tracking number's first four characters: its carrier's prefix, shared by many.
    await page.fill('#nav-q', tracking.slice(0, 4));
    await Promise.all([page.waitForURL((u) => u.pathname === '/app/search'), page.press('#nav-q', 'Enter')]);
    const found = await tableRows(page, '#hits');
    assert.ok(found.some((r) => r[0].includes(shipmentNumber)), `a part of its tracking number finds ${shipmentNumber}`);
    await screenshot(page, 'search');
    await noSideScroll(page, 'search');

    // The supervisor: the backlog grid; a team's count is what its link lists.
    await signIn(boss.page, SUPERVISOR);
    assert.ok(await boss.page.isVisible('#backlog'), 'the backlog grid');
    await screenshot(boss.page, 'home-supervisor');
    const cell = boss.page.locator('#backlog tr[data-team] td a').first();
    const n = await count(boss.page, '#backlog tr[data-team] td a >> nth=0');
    await Promise.all([boss.page.waitForURL((u) => u.pathname === '/app/cases'), cell.click()]);
    const listed = await boss.page.locator('#cases tbody tr').count();
    assert.equal(listed, Math.min(n, 50), 'the grid counts what its link lists');
    await boss.page.goto(url('/app'));
    await noSideScroll(boss.page, 'home-supervisor');

    // The client manager: her scorecard headline and open cases, nothing of another tenant.
    await signIn(client.page, CLIENT);
    assert.ok(await client.page.isVisible('[data-headline]'), 'the scorecard headline');
    const links = await client.page.$$eval('a[href^="/app/"]', (as) => as.map((a) => a.getAttribute('href')));
    assert.ok(links.every((h) => !h.startsWith('/app/acme-industrial')), 'nothing of another tenant');
    const denied = await client.page.goto(url('/app/cases?tenant=acme-industrial'));
    assert.equal(denied.status(), 404);
    await client.page.goto(url('/app'));
    await screenshot(client.page, 'home-client');
    await noSideScroll(client.page, 'home-client');
  } finally {
    await agent.context.close();
    await boss.context.close();
    await client.context.close();
  }
});

test('j. a carrier answers a case addressed to it and posts a scan on its shipment', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, CARRIER);
    assert.equal(await page.$('#backlog'), null, 'no tenant totals for a carrier');
    const link = page.locator('section.work tbody tr a').first();
    assert.ok((await link.count()) > 0, 'the demo has open cases addressed to the carrier');
    await screenshot(page, 'home-carrier');
    await Promise.all([page.waitForURL((u) => /\/cases\/[0-9a-f-]+$/.test(u.pathname)), link.click()]);
    assert.equal(await page.$('#resolve'), null, 'no desk actions for a carrier');
    const answer = `Driver re-attempts tomorrow before noon ${Date.now()}`;
    await page.fill('#answer-text', answer);
    await page.click('#answer');
    await page.waitForFunction((t) => document.querySelector('#timeline')?.textContent.includes(t), answer);
    await screenshot(page, 'case-page-carrier');
    // The case's shipment: a scan typed in from the carrier's side.
    const subject = page.locator('a[href*="/shipments/"]').first();
    if ((await subject.count()) > 0) {
      await Promise.all([page.waitForURL((u) => /\/shipments\/[0-9a-f-]+$/.test(u.pathname)), subject.click()]);
      const before = await page.locator('#events tbody tr').count();
      await page.selectOption('#ev-status', 'in_transit');
      await page.fill('#ev-location', 'Carrier hub, browser test');
      await Promise.all([page.waitForURL((u) => u.search.includes('done=event')), page.click('#post-event')]);
      assert.equal(await page.locator('#events tbody tr').count(), before + 1, 'one more event');
      assert.ok((await page.textContent('#events')).includes('Carrier hub, browser test'));
      await screenshot(page, 'shipment-page-carrier');
      await readsAtEveryWidth(page, 'the shipment page', 'shipment-page-carrier');
    }
  } finally {
    await context.close();
  }
});

test('k. the administrator issues a token shown once; order and outbox pages read at every width', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, ADMIN);
    await Promise.all([page.waitForURL((u) => u.pathname === '/app/admin'), page.click('#admin-link')]);
    await page.fill('#token-name', `browser-test-${Date.now()}`);
    await page.selectOption('#token-role', 'integration');
    await page.selectOption('#token-tenant', 'northwind');
    await page.fill('#token-days', '1');
    await page.click('#token-create');
    await page.waitForSelector('#issued');
    const secret = (await page.textContent('#secret')).trim();
    assert.ok(secret.length > 20, 'the secret is shown');
    const api = await page.request.get(url('/api/v1/tenants/northwind/orders?limit=1'), { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(api.status(), 200, 'the token opens the API');
    await screenshot(page, 'admin-token-issued');
    await page.goto(url('/app/admin'));
    assert.ok(!(await page.content()).includes(secret), 'shown once');
    await readsAtEveryWidth(page, 'the admin page', 'admin');
    await page.goto(url('/app/northwind/outbox?state=delivered'));
    await screenshot(page, 'outbox');
    // The demo's client endpoint and its delivery log.
    await page.goto(url('/app/northwind/webhooks'));
    const endpoint = page.locator('#endpoints tbody tr a').first();
    await Promise.all([page.waitForURL((u) => /\/webhooks\/[0-9a-f-]+$/.test(u.pathname)), endpoint.click()]);
    assert.ok((await page.locator('#deliveries tbody tr').count()) > 0, 'the demo delivered signed events to it');
    await screenshot(page, 'webhook-log');
    // An order page, from the order list.
    await page.goto(url('/app/northwind/orders'));
    const first = page.locator('#orders tbody tr a').first();
    await Promise.all([page.waitForURL((u) => /\/orders\/[0-9a-f-]+$/.test(u.pathname)), first.click()]);
    assert.ok(await page.isVisible('#lines'), 'the order lines');
    await screenshot(page, 'order-page');
    await readsAtEveryWidth(page, 'the order page', 'order-page');
  } finally {
    await context.close();
  }
});

test('l. administration: settings, rulebook preview, a template previewed against a case, teams, EDI traffic', async () => {
  const { context, page } = await newPage();
  const noSideScroll = (what) => readsAtEveryWidth(page, what, what);
  try {
    await signIn(page, ADMIN);
    await page.goto(url('/app/admin'));
    await Promise.all([page.waitForURL((u) => u.pathname === '/app/northwind/settings'), page.click('#tenant-admin a[href="/app/northwind/settings"]')]);
    assert.ok((await page.locator('#policies tbody tr').count()) > 0, 'the demo tenant has SLA policies');
    assert.ok((await page.locator('#calendars-form fieldset.calendar').count()) > 0, 'and a business calendar, as a form');
    await screenshot(page, 'settings');
    await noSideScroll('settings');
    // The ownership matrix is a form: the client tells its customers about delays.
    const version = Number((await page.textContent('#settings-version')).trim());
    await page.selectOption('#inf-delay_risk', 'client');
    await Promise.all([page.waitForURL((u) => u.searchParams.has('done')), page.click('#ownership-save')]);
    assert.match(await page.textContent('#done'), new RegExp(`version ${version + 1} is in force`));
    assert.equal(await page.inputValue('#inf-delay_risk'), 'client', 'the matrix shows the saved choice');
    // A holiday added to the office calendar; a bad date is refused by name, nothing saved.
    const holidays = page.locator('#calendars-form textarea[id^=holidays-]').first();
    const before = await holidays.inputValue();
    await holidays.fill(`${before}, Boxing Day`);
    await page.click('#calendars-save');
    await page.waitForSelector('#settings-problems');
    assert.match(await page.textContent('#settings-problems'), /'Boxing Day' is not a date/);
    await page.goto(url('/app/northwind/settings'));
    await page.locator('#calendars-form textarea[id^=holidays-]').first().fill(`${before}, 2027-12-26`);
    await Promise.all([page.waitForURL((u) => u.searchParams.has('done')), page.click('#calendars-save')]);
    assert.match(await page.locator('#calendars-form textarea[id^=holidays-]').first().inputValue(), /2027-12-26$/);

    // The rulebook: a preview replays the rules in force over the last 30 days.
    await page.click('nav.tabs a[href="/app/northwind/rulebook"]');
    await page.waitForURL((u) => u.pathname === '/app/northwind/rulebook');
    await Promise.all([page.waitForURL((u) => u.pathname === '/app/northwind/rulebook'), page.click('#rulebook-preview')]);
    await page.waitForSelector('#preview-table');
    const previewed = await tableRows(page, '#preview-table');
    assert.ok(previewed.length > 0, 'the preview lists case types');
    assert.ok(previewed.some((r) => Number(r[4].replace(/,/g, '')) > 0), 'cases were opened in the period');
    assert.ok(previewed.every((r) => r[3] === 'same'), 'the rules in force, unedited, change nothing');
    await screenshot(page, 'rulebook-preview');
    await noSideScroll('rulebook');

    // A template previewed against a real case: its number in the text, nothing saved.
    await page.goto(url('/app/northwind/templates/edit?name=delay_notice&language=en'));
    await page.fill('#tpl-body', 'Case {{ case.number }}: we are on it.');
    await page.click('#tpl-preview');
    await page.waitForSelector('#preview-body');
    const body = (await page.textContent('#preview-body')).trim();
    assert.match(body, /^Case \S+: we are on it\.$/, body);
    assert.ok(!body.includes('{{'), 'rendered');
    await screenshot(page, 'template-preview');
    // An unknown variable is refused next to the body.
    await page.fill('#tpl-body', 'Hello {{ case.nonsense }}');
    await page.click('#tpl-save');
    await page.waitForSelector('#body-error');
    assert.match(await page.textContent('#body-error'), /nonsense/);
    await noSideScroll('template-edit');

    // Teams and shifts: each team with its members and their shifts.
    await page.goto(url('/app/teams'));
    assert.ok((await page.locator('section[id^=team-]').count()) >= 3, 'the demo desk has teams');
    await screenshot(page, 'teams');
    await noSideScroll('teams');

    // EDI traffic: the demo's LTL partner, its interchanges, one opened with its segments.
    await page.goto(url('/app/acme-industrial/edi'));
    assert.ok((await page.locator('#partners tbody tr').count()) >= 1, 'a trading partner');
    assert.match((await page.textContent('#traffic-count')).trim(), /^1–50 of \d+/);
    await page.selectOption('#edi-direction', 'outbound');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('direction') === 'outbound'), page.click('#traffic form button[type=submit]')]);
    const sent = await tableRows(page, '#interchanges');
    assert.ok(sent.length > 0 && sent.every((r) => r[1] === 'outbound'), 'only what we sent');
    assert.ok(sent.some((r) => /997 accepted/.test(r[5])), 'tenders answered by the carrier\'s 997');
    await screenshot(page, 'edi');
    // An answered tender (the demo also leaves some awaiting their 997, and which comes first
    // depends on the clock): its page must show the group and the 997 that answered it.
    const answered = sent.findIndex((r) => /997 accepted/.test(r[5]));
    await Promise.all([
      page.waitForURL((u) => /\/edi\/interchanges\//.test(u.pathname)),
      page.locator('#interchanges tbody tr').nth(answered).locator('a').first().click(),
    ]);
    assert.match(await page.textContent('#raw'), /^ISA\*/, 'the raw interchange, a segment per line');
    assert.match((await tableRows(page, '#groups'))[0][3], /^997 /, 'the group sent and what answered it');
    await screenshot(page, 'interchange');
    await noSideScroll('interchange');
  } finally {
    await context.close();
  }
});

test('m. every page an administrator reaches reads at 390 px without scrolling sideways', async () => {
  const { context, page } = await newPage();
  try {
    await signIn(page, ADMIN);
    // The pages with an id in their address, found through the pages that link to them.
    const firstLink = async (from, selector) => {
      await page.goto(url(from));
      return new URL(await page.locator(selector).first().getAttribute('href'), BASE).pathname;
    };
    const shipment = await firstLink('/app/northwind/shipments', '#shipments tbody a');
    const order = await firstLink('/app/northwind/orders', '#orders tbody a');
    const kase = await firstLink('/app/northwind/cases?scope=open', 'a[href*="/cases/"]');
    const endpoint = await firstLink('/app/northwind/webhooks', '#endpoints tbody a');
    const interchange = await firstLink('/app/acme-industrial/edi', '#interchanges tbody a');
    const pages = [
      '/app', '/app/cases', '/app/northwind/cases', '/app/northwind/shipments', shipment,
      '/app/northwind/orders', order, kase, '/app/northwind/scorecard', '/app/search?q=NW',
      '/app/admin', '/app/teams', '/app/northwind/settings', '/app/northwind/rulebook',
      '/app/northwind/templates', '/app/northwind/templates/edit', '/app/northwind/webhooks',
      endpoint, '/app/northwind/outbox?state=delivered', '/app/acme-industrial/edi', interchange,
      '/app/northwind/shipments/00000000-0000-0000-0000-000000000000',
    ];
    await page.setViewportSize({ width: 390, height: 900 });
    const wide = [];
    for (const p of pages) {
      const res = await page.goto(url(p));
      assert.ok([200, 404].includes(res.status()), `${p}: ${res.status()}`);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (over > 0) wide.push(`${p} (${over} px)`);
      // A select is as wide as its longest option, and most options are data (team, person
      // and tenant names; the template editor's cases, which depend on the clock): a long one
      // must not widen the page either (a 44-character case label once did, by 2 px).
      const selects = await page.evaluate(() => [...document.querySelectorAll('select')].map((s) => s.id || s.name));
      for (const [i, id] of selects.entries()) {
        const widened = await page.evaluate((i) => {
          const s = document.querySelectorAll('select')[i];
          const o = s.options[s.selectedIndex] ?? s.options[0];
          if (!o) return 0;
          const was = o.textContent;
          o.textContent = 'an option as long as a long customer name, team name or case label';
          const over = document.documentElement.scrollWidth - window.innerWidth;
          o.textContent = was;
          return over;
        }, i);
        if (widened > 0) wide.push(`${p} with a long option in select ${id} (${widened} px)`);
      }
      await screenshot(page, `every-page-390-${p.replace(/[^a-z0-9]+/gi, '_').slice(0, 60)}`);
    }
    assert.deepEqual(wide, [], 'pages wider than a phone');
  } finally {
    await context.close();
  }
});

test('f. sign out from the header ends the session', async () => {
  assert.ok(adminPage, 'needs the admin session from test b');
  const page = adminPage;
  try {
    await page.goto(url('/app'));
    assert.equal(pathOf(page), '/app', 'still signed in before signing out');
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/login'),
      page.locator('header').getByRole('button', { name: 'Sign out' }).click(),
    ]);
    assert.equal(pathOf(page), '/login');

    await page.goto(url('/app'));
    assert.equal(pathOf(page), '/login', '/app redirects to /login after signing out');
  } finally {
    await adminContext.close();
  }
});
