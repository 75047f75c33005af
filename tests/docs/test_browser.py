"""The built site in headless Chromium: tutorial pages load with their pictures, their
step-through pages play, and the console stays free of errors."""

import functools
import http.server
import threading

import pytest

# Tutorial page -> (at least this many pictures, this many step-through pages).
PAGES = {
    "tutorials/01-chain-rule/": (2, 1),
    "tutorials/02-by-hand-vs-engine/": (2, 1),
    "tutorials/03-four-equations/": (1, 0),
    "tutorials/04-costs/": (1, 0),
    "tutorials/05-training/": (2, 0),
    "tutorials/06-gradient-flow/": (2, 0),
    "tutorials/07-testing-gradients/": (2, 0),
    "tutorials/08-beyond-first-order/": (2, 0),
    "": (0, 0),
    "course-numbers/": (0, 0),
    "reference/autodiff/": (0, 0),
}


@pytest.fixture(scope="module")
def served(site):
    """The site over HTTP on a free local port, as `mkdocs serve` would show it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


PICTURES = """
const imgs = Array.from(document.querySelectorAll('article img'));
return {total: imgs.length,
        loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
        frames: document.querySelectorAll('article iframe').length};
"""


@pytest.mark.parametrize("path", list(PAGES), ids=lambda p: p.strip("/") or "home")
def test_page_loads_with_pictures_and_no_console_errors(chromium, served, path):
    from selenium.webdriver.support.ui import WebDriverWait

    chromium.get_log("browser")  # forget what earlier pages logged
    chromium.get(served + path)
    WebDriverWait(chromium, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    found = chromium.execute_script(PICTURES)
    pictures, frames = PAGES[path]
    assert found["total"] >= pictures, found
    assert found["loaded"] == found["total"], f"{found['total'] - found['loaded']} broken images"
    assert found["frames"] == frames
    errors = [e for e in chromium.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_embedded_step_page_plays_backprop(chromium, served):
    """Tutorial 1's step-through page runs inside its iframe: step to the end of the
    backward pass and x0's gradient is the course's 0.39."""
    from selenium.webdriver.common.by import By

    chromium.get(served + "tutorials/01-chain-rule/")
    frame = chromium.find_element(By.CSS_SELECTOR, "article iframe")
    chromium.switch_to.frame(frame)
    try:
        counter = chromium.find_element(By.ID, "counter").text
        assert counter.startswith("step 0 / ")
        total = int(counter.rsplit("/", 1)[1])
        nxt = chromium.find_element(By.ID, "next")
        for _ in range(total):
            nxt.click()
        assert chromium.find_element(By.ID, "counter").text == f"step {total} / {total}"
        grads = [e.text for e in chromium.find_elements(By.CSS_SELECTOR, "text.grd")]
        assert "grad 0.39" in grads
    finally:
        chromium.switch_to.default_content()
