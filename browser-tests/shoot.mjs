// Screenshots of dashboard pages at three widths, for a person to look at:
//   node browser-tests/shoot.mjs BASE PASSWORD OUTDIR email:path[,path…] …
import { chromium } from "playwright-core";
const [base, password, out, ...specs] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
for (const spec of specs) {
  const [email, paths] = spec.split(":");
  for (const width of [1280, 768, 390]) {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(base + "/login");
    await page.fill("input[name=email]", email);
    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForURL(/\/app/), page.click("button[type=submit]")]);
    for (const path of paths.split(",")) {
      const res = await page.goto(base + path);
      const name = `${email.split("@")[0]}-${path.replace(/[^a-z0-9]+/gi, "_")}-${width}.png`;
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      const timing = res.headers()["server-timing"];
      console.log(name, res.status(), "hscroll", scroll, timing);
      await page.screenshot({ path: `${out}/${name}`, fullPage: true });
    }
    await page.close();
  }
}
await browser.close();
