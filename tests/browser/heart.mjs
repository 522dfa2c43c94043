// Her heart in the web page, in Debian's Chromium: her mood beside her name, the growth journal
// (entries, a diff, a rollback), editing a block, importing and exporting a Character Card, and
// the mood chart. Run by tests/test_server_browser.py on a server seeded with two weeks of
// history; exits non-zero with the reason on the first thing that is wrong.

import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const url = process.env.OS1_URL;
const key = process.env.OS1_KEY;
const out = process.env.OS1_ARTIFACTS;
mkdirSync(out, { recursive: true });

const began = Date.now();
function step(name) {
  console.log(`${((Date.now() - began) / 1000).toFixed(1)}s  ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const MIRA = {
  spec: "chara_card_v2",
  spec_version: "2.0",
  data: {
    name: "Mira",
    description: "You are {{char}}, a lighthouse keeper who loves storms and old maps.",
    personality: "Dry wit, few words, kind underneath.",
    scenario: "",
    first_mes: "The lamp is lit.",
    mes_example: "",
    tags: ["sea"],
    extensions: {},
  },
};

const browser = await chromium.launch({
  executablePath: process.env.OS1_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().includes("Failed to load resource")) {
      problems.push(`console: ${message.text()}`);
    }
  });

  // --- sign in; her mood and your relationship beside her name ---------------------------------
  step("sign in; her mood beside her name");
  await page.goto(url);
  await page.getByLabel("Your key").fill(key);
  await page.getByLabel("Your key").press("Enter");
  const heartLine = page.locator("#companion-heart");
  await heartLine.waitFor();
  check((await heartLine.textContent()).startsWith("feels "), "her mood shows by her name");
  check((await heartLine.textContent()).includes("close"), "so does the relationship");
  const box = page.getByRole("textbox", { name: "Message Sol" });
  await box.fill("Thank you, today was great!");
  await box.press("Enter");
  await page.waitForFunction(
    () => document.querySelectorAll("#messages .message.assistant:not(.streaming)").length >= 2,
  );
  step("her mood moves with what you said");
  await page.waitForFunction(
    () => document.getElementById("companion-heart").textContent.includes("cheerful"),
    null, { timeout: 8000 },
  ).catch(async () => {
    throw new Error(`her mood did not move: ${await heartLine.textContent()}`);
  });

  // --- the journal: who changed what, and why ---------------------------------------------------
  step("the journal: entries, evidence, a diff");
  await page.getByRole("button", { name: "Journal" }).click();
  const journal = page.getByRole("dialog", { name: "How Sol has grown" });
  await journal.waitFor();
  const entries = journal.locator(".journal-entry");
  await entries.first().waitFor();
  check((await entries.count()) === 3, `three entries (${await entries.count()})`);
  check((await entries.first().textContent()).includes("Her reflection"), "the newest is hers");
  check(await entries.first().locator(".journal-evidence code").count() === 2,
    "her reflection names its evidence");
  check((await entries.last().textContent()).includes("Where she started"), "the oldest is the start");
  await entries.first().getByText("Show what changed").click();
  const diff = entries.first().locator(".diff");
  await diff.waitFor();
  check(await diff.locator(".add").count() >= 1, "the diff shows what was added");
  check((await diff.textContent()).includes("walks by the sea"), "the diff has the new notes");
  await page.screenshot({ path: `${out}/journal.png` });

  // --- roll back to before her reflection -------------------------------------------------------
  step("roll back to version 2, with a confirmation");
  let asked = "";
  page.once("dialog", (confirm) => {
    asked = confirm.message();
    confirm.accept();
  });
  await journal.getByRole("button", { name: "Roll back to version 2" }).click();
  await journal.getByText("Rolled back to version 2.").waitFor();
  check(asked.includes("version 2"), "the rollback asks first");
  check((await entries.count()) === 4, "the rollback is an entry of its own");
  check((await entries.first().textContent()).includes("rolled back to version 2"),
    "it says what it did");
  await page.keyboard.press("Escape");
  await journal.waitFor({ state: "hidden" });

  // --- settings: edit a block; import a card and export it --------------------------------------
  step("settings: edit how she talks");
  await page.getByRole("button", { name: "Settings" }).click();
  const settings = page.getByRole("dialog", { name: "Settings" });
  await settings.waitFor();
  const style = settings.getByLabel("How she talks");
  await page.waitForFunction(() => document.getElementById("block-style").value.length > 0);
  check((await settings.getByLabel("What she knows about you").inputValue()) === "",
    "the rollback took her notes back out");
  await style.fill("Gentle and curious; short sentences.");
  await settings.getByRole("button", { name: "Save" }).click();
  await settings.getByText("Saved.").waitFor();

  step("settings: import a Character Card, export her");
  await settings.getByLabel("Import a card (PNG or JSON)").setInputFiles({
    name: "mira.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(MIRA)),
  });
  await settings.getByText("She is Mira now.").waitFor();
  check((await page.locator("#companion-name").textContent()) === "Mira", "she is Mira now");
  check((await settings.getByLabel("Name", { exact: true }).inputValue()) === "Mira",
    "the settings show the card");
  await settings.getByLabel("Import a card (PNG or JSON)").setInputFiles({
    name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a card"),
  });
  await settings.locator("#card-status", { hasText: "not valid JSON" }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    settings.getByRole("link", { name: "PNG" }).click(),
  ]);
  check(download.suggestedFilename() === "Mira.png", `the card downloads (${download.suggestedFilename()})`);
  await page.screenshot({ path: `${out}/settings-card.png` });
  await page.keyboard.press("Escape");

  await page.getByRole("button", { name: "Journal" }).click();
  const grown = page.getByRole("dialog", { name: "How Mira has grown" });
  await grown.waitFor();
  await grown.locator(".journal-entry").nth(5).waitFor();
  const top = await grown.locator(".journal-entry").first().textContent();
  check(top.includes("A card") && top.includes("imported mira.json"), "the import is in the journal");
  await page.keyboard.press("Escape");

  // --- mood: hers, the relationship, and yours by day -------------------------------------------
  step("mood: hers, the relationship, and your days");
  await page.getByRole("button", { name: "Mood" }).click();
  const mood = page.getByRole("dialog", { name: "Moods" });
  await mood.waitFor();
  await mood.locator("#mood-chart rect.bar").first().waitFor();
  const bars = await mood.locator("#mood-chart rect.bar").count();
  check(bars >= 10, `a bar for each day he talked (${bars})`);
  check(await mood.locator("#mood-chart rect.bar.unpleasant").count() >= 2, "sad days go below the line");
  check(await mood.locator("#mood-chart .emotion-label").count() === bars, "each day names its emotion");
  check((await mood.locator("#heart-words").textContent()).startsWith("Mira feels "), "her mood");
  check((await mood.locator("#relationship-stage").textContent()).includes("close"), "your relationship");
  check(await mood.locator("#mood-rows tr").count() === bars, "the same days as a table");
  check((await mood.locator("#mood-rows").textContent()).includes("sadness"), "with what dominated");
  await page.screenshot({ path: `${out}/mood.png` });
  await mood.getByLabel("How far back").selectOption("7");
  await page.waitForFunction(() => document.querySelectorAll("#mood-rows tr").length <= 7);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.screenshot({ path: `${out}/mood-dark.png` });
  await page.emulateMedia({ colorScheme: "light" });

  // --- every control has a name a screen reader can say -----------------------------------------
  step("every control in the open dialog has a name");
  const unnamed = await page.evaluate(() => [...document.querySelectorAll("button, input, textarea, select, a")]
    .filter((el) => el.closest("dialog[open]"))
    .filter((el) => !(el.textContent.trim() || el.getAttribute("aria-label") || el.labels?.length))
    .map((el) => el.outerHTML.slice(0, 80)));
  check(unnamed.length === 0, `unnamed controls: ${unnamed}`);
  await page.keyboard.press("Escape");

  check(problems.length === 0, problems.join("\n"));
  console.log("browser test passed");
} finally {
  await browser.close();
}
