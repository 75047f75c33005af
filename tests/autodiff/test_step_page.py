"""``step_page``: the step data it computes, the CLI, and the page in real headless Chromium."""

import os
import re
import time

import pytest

from autodiff import Value
from autodiff.cli import main
from autodiff.viz import step_page

COURSE = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
AT = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
X0_LINE = "∂f/∂x0 = w0 · ∂f/∂(w0·x0) = 2.00 × 0.20 = 0.39"


def neuron():
    """The course's sigmoid neuron (docs/course-numbers.md §1), op by op, and its leaves."""
    w0, x0, w1, x1, w2 = leaves = [
        Value(v, label=n)
        for n, v in [("w0", 2.0), ("x0", -1.0), ("w1", -3.0), ("x1", -2.0), ("w2", -3.0)]
    ]
    n = w0 * x0 + w1 * x1 + w2
    n.label = "n"
    f = 1 / (1 + (-n).exp())
    f.label = "f"
    return f, leaves


FORWARD = ["w0", "x0", "w0·x0", "w1", "x1", "w1·x1", "w0·x0 + w1·x1", "w2", "n", "-n",
           "exp(-n)", "exp(-n) + 1", "f"]  # fmt: skip


def test_forward_then_backward_in_topological_order(dot):
    f, _ = neuron()
    page = step_page(f)
    n = len(FORWARD)
    assert [s.number for s in page.steps] == list(range(1, 2 * n + 1))
    assert [s.name for s in page.steps[:n]] == FORWARD
    assert [s.phase for s in page.steps] == ["forward"] * n + ["backward"] * n
    assert [s.name for s in page.steps[n:]] == FORWARD[::-1]
    assert [s.text for s in page.steps[:n]][-1] == "0.73"
    backward = {s.name: s.text for s in page.steps[n:]}
    assert backward == {
        "f": "1.00", "exp(-n) + 1": "-0.53", "exp(-n)": "-0.53", "-n": "-0.20", "n": "0.20",
        "w2": "0.20", "w0·x0 + w1·x1": "0.20", "w1·x1": "0.20", "x1": "-0.59", "w1": "-0.39",
        "w0·x0": "0.20", "x0": "0.39", "w0": "-0.20",
    }  # fmt: skip


def test_chain_rule_lines_with_numbers(dot):
    f, leaves = neuron()
    page = step_page(f)
    x0 = next(s for s in page.steps if s.phase == "backward" and s.name == "x0")
    assert x0.lines[0] == X0_LINE
    forward = {s.name: s.lines[0] for s in page.steps if s.phase == "forward"}
    assert forward["w0·x0"] == "w0·x0 = 2.00×(-1.00) = -2.00"
    assert forward["-n"] == "-n = -(1.00) = -1.00"
    assert forward["f"] == "f = 1/(exp(-n) + 1) = 1/1.37 = 0.73"
    # The page reads the gradients without touching the graph's .grad.
    assert all(v.grad == 0.0 for v in leaves)


def test_node_used_twice_sums_its_contributions(dot):
    x = Value(3.0, label="x")
    y = x * x + x
    page = step_page(y, precision=1)
    last = page.steps[-1]
    assert last.name == "x" and last.text == "7.0"
    assert last.lines == [
        "∂f/∂x = x · ∂f/∂(x·x) + x · ∂f/∂(x·x) + 1 · ∂f/∂f"
        " = 3.0 × 1.0 + 3.0 × 1.0 + 1.0 × 1.0 = 7.0",
        "x is used 3 times: the contributions add up, 3.0 + 3.0 + 1.0",
    ]


def test_nan_and_inf_are_shown_and_flagged(dot):
    z = Value(0.0, label="z")
    page = step_page(z.log() * z + z.exp())
    text = {(s.phase, s.name): (s.text, s.finite) for s in page.steps}
    assert text["forward", "log(z)"] == ("-inf", False)
    assert text["forward", "f"] == ("nan", False)
    assert text["backward", "z"] == ("nan", False)
    assert text["forward", "exp(z)"] == ("1.00", True)
    assert page.html.count('class="val bad"') == 3 and page.html.count('class="grd bad"') == 1


def test_page_is_self_contained_and_saved(dot, tmp_path):
    f, _ = neuron()
    target = tmp_path / "sub" / "page.html"
    page = step_page(f, target)
    written = target.read_text(encoding="utf-8")
    assert written == page.html and "<svg" in written
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", written)
    # The only URLs are the SVG namespace names, which are never fetched.
    urls = set(re.findall(r"https?://[^\"' ]+", written))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    html = page._repr_html_()
    assert html.startswith("<iframe") and "&lt;svg" in html


def test_layers_by_label_prefix_and_by_depth(dot):
    w = [Value(0.5, label=f"layers.0.w.{i}") for i in range(2)]
    v = Value(2.0, label="layers.1.w.0")
    h = (w[0] * 1.0 + w[1] * 2.0).tanh()
    out = v * h
    page = step_page(out)
    layer = {s.name: s.layer for s in page.steps if s.phase == "forward"}
    assert layer["layers.0.w.0"] == "layers.0" and layer["layers.1.w.0"] == "layers.1"
    h_name = next(name for name in layer if name.startswith("tanh("))
    assert layer[h_name] == "layers.0"  # the neuron's ops join its weights' layer
    assert set(layer.values()) == {"layers.0", "layers.1"}
    assert layer["f"] == "layers.1"
    by_depth = step_page(out, layers="depth")
    assert {s.layer for s in by_depth.steps} == {f"depth {d}" for d in range(5)}
    with pytest.raises(ValueError, match="layers"):
        step_page(out, layers="width")
    with pytest.raises(TypeError, match="scalar Value"):
        step_page(3.0)


def test_node_budget_refuses_before_any_drawing(tmp_path):
    y = x = Value(1.0, label="x")
    for _ in range(20):
        y = y * x
    with pytest.raises(ValueError, match=r"has 21 nodes, more than max_nodes=10; .* larger"):
        step_page(y, tmp_path / "p.html", max_nodes=10)
    assert list(tmp_path.iterdir()) == []


def test_page_gets_the_users_umask(dot, tmp_path):
    old = os.umask(0o022)
    try:
        step_page(Value(2.0, label="x") * 3, tmp_path / "p.html")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "p.html").st_mode & 0o777 == 0o644
    assert os.listdir(tmp_path) == ["p.html"]


def test_cli_step_writes_the_page(dot, tmp_path, capsys):
    target = tmp_path / "page.html"
    assert main(["step", COURSE, "--at", *AT, "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert X0_LINE in target.read_text(encoding="utf-8")
    assert main(["step", "2 + 3", "-o", str(target)]) == 2


# --- the page in a real browser --------------------------------------------------------


@pytest.fixture
def browser(chromium, dot):
    """The session's headless Chromium (tests/conftest.py); the pages need dot too."""
    return chromium


def _grad_text(driver, node_id):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"#n-{node_id} text.grd").text


def test_browser_plays_backprop_to_x0_and_back(browser, tmp_path):
    from selenium.webdriver.common.by import By

    f, _ = neuron()
    target = tmp_path / "neuron.html"
    page = step_page(f, target)
    x0 = next(s for s in page.steps if s.phase == "backward" and s.name == "x0")
    x0_id = f"v{x0.index}"
    url = target.as_uri()
    browser.get(url)
    assert browser.find_element(By.ID, "counter").text == "step 0 / 26"
    assert _grad_text(browser, x0_id) == ""  # nothing shown before the passes run
    nxt = browser.find_element(By.ID, "next")
    for _ in range(x0.number):
        nxt.click()
    assert _grad_text(browser, x0_id) == "grad 0.39"
    assert browser.find_element(By.ID, "readout").text == "x0: grad 0.39"
    assert browser.find_element(By.CSS_SELECTOR, "#lines div").text == X0_LINE
    assert browser.current_url.endswith(f"#step={x0.number}")
    browser.save_screenshot(str(tmp_path / "x0.png"))
    assert (tmp_path / "x0.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    browser.find_element(By.ID, "prev").click()
    assert _grad_text(browser, x0_id) == ""
    assert browser.current_url.endswith(f"#step={x0.number - 1}")
    # Keys: right arrow steps forward again.
    browser.find_element(By.TAG_NAME, "body").send_keys("\ue014")  # Keys.ARROW_RIGHT
    assert _grad_text(browser, x0_id) == "grad 0.39"


def test_browser_opens_at_the_fragment(browser, tmp_path):
    from selenium.webdriver.common.by import By

    f, _ = neuron()
    target = tmp_path / "neuron.html"
    page = step_page(f, target)
    n = len(page.steps) // 2
    browser.get(target.as_uri() + "#step=end")
    grads = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.grd")]
    assert grads == [f"grad {s.text}" for s in sorted(page.steps[n:], key=lambda s: s.index)]
    assert browser.find_element(By.ID, "counter").text == f"step {2 * n} / {2 * n}"
    browser.save_screenshot(str(tmp_path / "end.png"))
    browser.get(target.as_uri() + "#step=3")  # same document: the hashchange handler
    values = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "text.val")]
    assert values[:3] == ["data 2.00", "data -1.00", "data -2.00"] and set(values[3:]) == {""}
    assert all(e.text == "" for e in browser.find_elements(By.CSS_SELECTOR, "text.grd"))


def test_browser_stays_responsive_on_hundreds_of_nodes(browser, tmp_path):
    from selenium.webdriver.common.by import By

    xs = [Value(0.01 * i, label=f"layers.{i // 50}.x.{i}") for i in range(150)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    target = tmp_path / "big.html"
    page = step_page(total, target)
    steps = len(page.steps)
    assert steps > 500
    browser.get(target.as_uri())
    start = time.perf_counter()
    browser.execute_script(
        "for (var i = 0; i < arguments[0]; i++) window.stepPlayer.next();", steps
    )
    assert browser.execute_script("return window.stepPlayer.current();") == steps
    assert time.perf_counter() - start < 10
    # Folding a layer makes next pass over each run of its nodes in one step.
    browser.execute_script("window.stepPlayer.show(0);")
    browser.find_element(By.ID, "layerbox").click()
    browser.find_element(By.CSS_SELECTOR, 'input[data-layer="layers.0"]').click()
    browser.find_element(By.ID, "next").click()
    assert browser.execute_script("return window.stepPlayer.current();") > 1
