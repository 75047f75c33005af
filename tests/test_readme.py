"""The README's commands and Python snippets stay true, down to the results their
comments claim (``# True``, ``# (3, 2)``, ``# 0.73 [...]``)."""

import ast
import contextlib
import io
import re
from pathlib import Path

import pytest

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


# A comment that starts like a value (a number, a bracket, a quote, True/False/None) is
# a claim about what the line before it shows; anything else is prose.
_CLAIM = re.compile(r"""^(?:[-+\d\[({'"]|True\b|False\b|None\b)""")


def _claims(block: str) -> list[tuple[int, str]]:
    """``(line number, claim)`` for each comment that claims a result: at the end of a
    statement's last line, or alone on the line after it."""
    lines = block.splitlines()
    found = []
    for i, line in enumerate(lines):
        code, sep, comment = line.partition("  # ") if "  # " in line else line.partition("# ")
        comment = comment.strip()
        if not sep or not _CLAIM.match(comment):
            continue
        if code.strip():
            found.append((i + 1, comment))
        elif i > 0:
            found.append((i, comment))  # a comment line claims what the line above shows
    return found


def _shown(statement: ast.stmt, namespace: dict) -> str:
    """What an expression statement shows: a print's output, else the value's repr."""
    code = compile(ast.Module([statement], []), str(README), "exec")
    if not isinstance(statement, ast.Expr):
        raise AssertionError(f"line {statement.lineno}: a claimed result on a non-expression")
    call = statement.value
    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "print":
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
        return out.getvalue().strip()
    return repr(eval(compile(ast.Expression(call), str(README), "eval"), namespace))


def _check_claims(block: str) -> int:
    """Run ``block`` statement by statement and compare each claim with what it shows;
    returns how many claims were checked."""
    claims = dict(_claims(block))
    namespace: dict = {}
    checked = 0
    for statement in ast.parse(block).body:
        claim = claims.get(statement.end_lineno)
        if claim is None:
            exec(compile(ast.Module([statement], []), str(README), "exec"), namespace)
            continue
        shown = _shown(statement, namespace)
        # The claim is the shown text, then its end or an explanation after , : or ;
        assert shown and (claim == shown or re.match(re.escape(shown) + r"[,:;] ", claim)), (
            f"README line {ast.get_source_segment(block, statement)!r} claims {claim!r} "
            f"but shows {shown!r}"
        )
        checked += 1
    return checked


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_snippet_results_are_what_their_comments_claim(index):
    _check_claims(_blocks("python")[index])


def test_the_claims_are_found_and_checked():
    counts = [_check_claims(block) for block in _blocks("python")]
    assert sum(counts) >= 4  # 0.73 [...], (3, 2), True, True at least
    assert all(_claims(block) for block in _blocks("python")[:2])


def test_a_wrong_claim_is_caught():
    with pytest.raises(AssertionError, match="claims '7' but shows '6'"):
        _check_claims("x = 3\nprint(x * 2)  # 7\n")
    with pytest.raises(AssertionError, match=r"claims '0\.5' but shows '0\.25'"):
        _check_claims("x = 0.25\nx\n# 0.5\n")
    assert _check_claims("x = 3\nx * 2  # 6, as promised\nx  # prose, not a claim\n") == 1
