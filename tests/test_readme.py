"""The README's commands and Python snippets stay true."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_opens_with_the_two_commands():
    first = _blocks("bash")[0].strip().splitlines()
    assert first[0].startswith('python -m pip install -e ".[plot]" && python examples/tour.py')
    assert first[1] == 'python -m pip install -e ".[test]" && python -m pytest'


def test_ci_runs_exactly_the_readme_test_command():
    ci = (README.parent / ".ci" / "run").read_text()
    test_command = _blocks("bash")[0].strip().splitlines()[1]
    assert test_command in ci.splitlines()


def test_python_snippets_run():
    for block in _blocks("python"):
        namespace: dict = {}
        exec(compile(block, str(README), "exec"), namespace)  # the README's own code


def test_sigmoid_snippet_prints_the_course_numbers(capsys):
    exec(compile(_blocks("python")[0], str(README), "exec"), {})
    assert capsys.readouterr().out.strip() == "0.73 [-0.2, 0.39, -0.39, -0.59, 0.2]"
