#!/usr/bin/python3
"""browser_test.py CHARRNN_BIN MODEL_DIR OUT_DIR — the web page of `charrnn serve`, as a person
uses it: headless Chromium (driven by Selenium) opens http://127.0.0.1:PORT/, enters a prompt and
a seed, clicks Generate, waits for the streamed text, checks it against `charrnn generate` with
the same settings, and saves OUT_DIR/serve-page.png. Exits 77 (skipped) when Chromium, its
driver or Selenium is missing, unless CHARRNN_REQUIRE_CLIENTS is set (CI), then 1."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def skip_or_fail(why):
    print(why)
    sys.exit(1 if os.environ.get("CHARRNN_REQUIRE_CLIENTS") else 77)


def start_server(binary, model, log_dir):
    out = open(os.path.join(log_dir, "browser-serve.out"), "w+")
    err = open(os.path.join(log_dir, "browser-serve.err"), "w")
    proc = subprocess.Popen([binary, "serve", "--model", model, "--port", "0"], stdout=out, stderr=err)
    for _ in range(300):
        out.seek(0)
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", out.read())
        if m:
            return proc, f"http://127.0.0.1:{m.group(1)}/"
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("charrnn serve did not print its URL")


def main(binary, model, out_dir):
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
    prompt, seed, length = "And God said", 42, 300
    expected = subprocess.run([binary, "generate", "--model", model, "--prompt", prompt, "--length", str(length),
                               "--temperature", "0.8", "--seed", str(seed)], capture_output=True, text=True,
                              check=True).stdout
    server, url = start_server(binary, model, out_dir)
    profile = tempfile.mkdtemp(prefix="charrnn-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,900", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: "kjv-small" in d.find_element(By.ID, "model-name").text)
        for field, value in (("prompt", prompt), ("seed", seed), ("length", length), ("temperature", 0.8)):
            box = driver.find_element(By.ID, field)
            box.clear()
            box.send_keys(str(value))
        driver.find_element(By.ID, "generate").click()
        wait.until(lambda d: "finished" in d.find_element(By.ID, "status").text)
        shown = driver.find_element(By.ID, "output").text
        status = driver.find_element(By.ID, "status").text
        shot = os.path.join(out_dir, "serve-page.png")
        driver.save_screenshot(shot)
        # The page shows prompt + continuation; the browser's innerText may drop trailing spaces.
        if shown.rstrip() != expected.rstrip():
            print("the page shows:\n" + shown + "\n--- but charrnn generate wrote:\n" + expected)
            return 1
        if "symbols/s" not in status or "finished: length" not in status:
            print("unexpected status line: " + status)
            return 1
        print(f"browser: {len(expected) - len(prompt)} symbols streamed into the page, equal to charrnn generate; "
              f"status '{status}'; screenshot {shot}")
        return 0
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=15)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
