// Renders each built deck in headless Chromium and measures every slide:
// content that reaches outside its slide, or a code block wider than its
// box, is an overflow. Also keeps a screenshot of each deck's first slide.
//
//   node render_check.mjs CHROMIUM OUTDIR DECK.html...
//
// Exit status: 0 no overflow, 1 an overflow (each one printed), 2 the browser
// could not render a deck. The measuring happens in the page itself, in the
// coordinates the browser laid the slide out in: nothing is estimated.
import path from "node:path";
import puppeteer from "puppeteer-core";

const [chromium, outdir, ...decks] = process.argv.slice(2);

// Runs in the page: what sticks out of each slide, by slide number.
function measure() {
	const found = [];
	const slides = document.querySelectorAll("svg[data-marpit-svg] > foreignObject > section");
	slides.forEach((section, i) => {
		const box = section.getBoundingClientRect();
		const tol = 1;          // a rounding pixel is not an overflow
		if (section.scrollHeight > section.clientHeight + tol || section.scrollWidth > section.clientWidth + tol)
			found.push({ slide: i + 1, what: "the slide's content is taller or wider than the slide" });
		for (const el of section.querySelectorAll("*")) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 && r.height === 0)
				continue;
			if (r.right > box.right + tol || r.bottom > box.bottom + tol || r.left < box.left - tol || r.top < box.top - tol) {
				found.push({ slide: i + 1, what: `<${el.tagName.toLowerCase()}> reaches outside the slide: "${el.textContent.replace(/\s+/g, " ").trim().slice(0, 60)}"` });
				break;
			}
			if (el.tagName === "PRE" && el.scrollWidth > el.clientWidth + tol)
				found.push({ slide: i + 1, what: `a code block is ${el.scrollWidth - el.clientWidth}px wider than its box: "${el.textContent.replace(/\s+/g, " ").trim().slice(0, 60)}"` });
		}
	});
	return { slides: slides.length, found };
}

const browser = await puppeteer.launch({
	executablePath: chromium,
	headless: true,
	args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let status = 0;
try {
	for (const deck of decks) {
		const page = await browser.newPage();
		await page.setViewport({ width: 1280, height: 720 });
		// Marp's bare template would stack the slides; the built deck is the
		// presenting one, so every slide is measured in it as it is shown.
		await page.goto("file://" + path.resolve(deck), { waitUntil: "load" });
		await page.evaluate(() => document.fonts.ready);
		const { slides, found } = await page.evaluate(measure);
		const name = path.basename(deck, ".html");
		await page.screenshot({ path: path.join(outdir, `${name}.first-slide.png`) });
		if (slides === 0) {
			console.log(`${name}: no slides rendered`);
			status = 2;
		}
		for (const f of found) {
			console.log(`${name}: slide ${f.slide}: ${f.what}`);
			status = status || 1;
		}
		if (slides && !found.length)
			console.log(`${name}: ${slides} slides, none overflows`);
		await page.close();
	}
} finally {
	await browser.close();
}
process.exit(status);
