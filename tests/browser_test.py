#!/usr/bin/python3
"""browser_test.py CHARRNN_BIN MODELS_DIR OUT_DIR — the web page of `charrnn serve`, as a person
uses it, on a desktop (1280x900) and on a phone (390x844, Chromium's mobile emulation):

  * kjv-small: a prompt and a seed, Generate, the streamed text against `charrnn generate`;
  * tang (a classical-poem model): the poem controls appear; a title, form 7 and an acrostic
    give the poem `charrnn generate --form 7 --acrostic ...` writes; an acrostic character the
    model lacks is an error shown beside the acrostic field; traditional script is offered.

Each time JavaScript's layout APIs check that no visible element overflows the viewport, and a
screenshot is saved as OUT_DIR/serve-MODEL-SIZE.png. Exits 77 (skipped) when Chromium, its
driver or Selenium is missing, unless CHARRNN_REQUIRE_CLIENTS is set (CI), then 1."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SIZES = {"desktop": None, "phone": {"width": 390, "height": 844, "pixelRatio": 3.0}}
OVERFLOW_JS = """
const out = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  if (r.width === 0 || r.height === 0 || s.display === 'none' || s.visibility === 'hidden') continue;
  if (r.right > window.innerWidth + 1 || r.left < -1) out.push(e.tagName + '#' + e.id + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
}
return [window.innerWidth, document.documentElement.scrollWidth, out];
"""


def skip_or_fail(why):
    print(why)
    sys.exit(1 if os.environ.get("CHARRNN_REQUIRE_CLIENTS") else 77)


def start_server(binary, model, log_dir):
    name = os.path.basename(model)
    out = open(os.path.join(log_dir, f"browser-{name}.out"), "w+")
    err = open(os.path.join(log_dir, f"browser-{name}.err"), "w")
    proc = subprocess.Popen([binary, "serve", "--model", model, "--port", "0"], stdout=out, stderr=err)
    for _ in range(300):
        out.seek(0)
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", out.read())
        if m:
            return proc, f"http://127.0.0.1:{m.group(1)}/"
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("charrnn serve did not print its URL")


def generate(binary, model, *args):
    return subprocess.run([binary, "generate", "--model", model, *args], capture_output=True,
                          text=True, check=True).stdout


class Page:
    def __init__(self, webdriver, Service, By, WebDriverWait, size, profile):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,900", f"--user-data-dir={profile}"):
            options.add_argument(flag)
        if SIZES[size]:
            options.add_experimental_option("mobileEmulation", {"deviceMetrics": SIZES[size]})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        self.By, self.wait = By, WebDriverWait(self.driver, 60)

    def el(self, id_):
        return self.driver.find_element(self.By.ID, id_)

    def fill(self, **fields):
        for field, value in fields.items():
            box = self.el(field)
            if box.tag_name == "select":
                self.driver.execute_script("arguments[0].value = arguments[1]", box, str(value))
            else:
                box.clear()
                box.send_keys(str(value))

    def generate(self):
        self.el("generate").click()
        self.wait.until(lambda d: "finished" in self.el("status").text)
        return self.el("output").text

    def overflow(self):
        return self.driver.execute_script(OVERFLOW_JS)


def check_page(page, binary, models, model, size, out_dir):
    """Returns a list of failures."""
    failures = []
    page.wait.until(lambda d: model in page.el("model-name").text)
    if model == "kjv-small":
        if page.el("acrostic").is_displayed():
            failures.append(f"{model} {size}: poem controls are shown for an English model")
        page.fill(prompt="And God said", seed=42, length=300, temperature=0.8)
        shown = page.generate()
        expected = generate(binary, os.path.join(models, model), "--prompt", "And God said",
                            "--length", "300", "--temperature", "0.8", "--seed", "42")
    else:
        page.wait.until(lambda d: "poem" in d.find_element(page.By.TAG_NAME, "body").get_attribute("class"))
        if not page.el("acrostic").is_displayed() or not page.el("traditional").is_displayed():
            failures.append("the poem controls are not shown for a poem model")
        page.fill(title="四季", form=7, lines=4, acrostic="春夏秋冬", seed=3, length=400,
                  temperature=0.8)
        shown = page.generate()
        expected = generate(binary, os.path.join(models, model), "--prompt", "《四季》\n", "--form",
                            "7", "--acrostic", "春夏秋冬", "--lines", "4", "--length", "400",
                            "--temperature", "0.8", "--seed", "3")
        verses = [v for v in re.split("[，。\n]", shown.split("\n", 1)[1]) if v.strip()]
        if [v[0] for v in verses[:4]] != list("春夏秋冬"):  # a verse each, two to a line
            failures.append("the acrostic's characters do not start the verses:\n" + shown)
    if shown.rstrip() != expected.rstrip():
        failures.append(f"{model} {size}: the page shows\n{shown}\n--- but charrnn generate wrote\n{expected}")
    width, scroll, over = page.overflow()
    if over or scroll > width + 1:
        failures.append(f"{model} {size}: elements overflow the {width}px viewport (page {scroll}px): {over}")
    shot = os.path.join(out_dir, f"serve-{model}-{size}.png")
    page.driver.save_screenshot(shot)
    if model != "kjv-small" and size == "desktop":
        page.fill(acrostic="\U0001F600")  # a character the poem model lacks
        page.el("generate").click()
        page.wait.until(lambda d: page.el("err-acrostic").text or "finished" in page.el("status").text)
        message = page.el("err-acrostic").text
        if "acrostic" not in message and "not in" not in message:
            failures.append(f"no error beside the acrostic field: '{message}'")
        page.driver.save_screenshot(os.path.join(out_dir, f"serve-{model}-{size}-error.png"))
    print(f"browser: {model} at {size} ({width}px): {len(shown)} characters, as charrnn generate "
          f"wrote them; nothing overflows; {shot}")
    return failures


def main(binary, models, out_dir):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        skip_or_fail("python3-selenium is not installed (apt-get install chromium chromium-driver python3-selenium)")
    if not shutil.which("chromium") or not shutil.which("chromedriver"):
        skip_or_fail("chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
    os.makedirs(out_dir, exist_ok=True)
    failures = []
    for model in ("kjv-small", "tang"):
        server, url = start_server(binary, os.path.join(models, model), out_dir)
        try:
            for size in SIZES:
                profile = tempfile.mkdtemp(prefix="charrnn-chromium-")
                page = Page(webdriver, Service, By, WebDriverWait, size, profile)
                try:
                    page.driver.get(url)
                    failures += check_page(page, binary, models, model, size, out_dir)
                finally:
                    page.driver.quit()
                    shutil.rmtree(profile, ignore_errors=True)
        finally:
            server.terminate()
            server.wait(timeout=15)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
