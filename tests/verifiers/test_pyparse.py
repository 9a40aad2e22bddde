"""Parsing Python from many threads at once: every parse succeeds and equals a single-threaded one."""

import ast
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from reasoning_gym.verifiers.pyparse import compile_quietly, parse_python

# Deeply nested sources make the AST converter recurse, the case in which CPython 3.11's shared depth counter
# broke parses running in parallel (python/cpython#106905).
SOURCES = [
    "def check(candidate):\n" + "".join(f"    assert candidate({i}) == {'[' * 12}{i}{']' * 12}\n" for i in range(40)),
    "x = " + "(" * 60 + "1" + ")" * 60,
    "assert re.match('\\d+', s)\n",  # an invalid escape: a SyntaxWarning that quiet mode hides
]


def test_parses_from_many_threads_equal_a_single_threaded_parse():
    expected = [ast.dump(ast.parse(s)) for s in SOURCES]
    with ThreadPoolExecutor(8) as pool:
        dumps = list(pool.map(lambda i: ast.dump(parse_python(SOURCES[i % 3], quiet=True)), range(600)))
    assert dumps == [expected[i % 3] for i in range(600)]


def test_no_two_threads_are_ever_inside_ast_parse_at_once(monkeypatch):
    # CPython's race needs a thread switch inside the converter, which is rare (about 1 parse in 3000 with
    # forced switches); so check the cure directly: a slow stand-in for ast.parse sees one caller at a time.
    inside, most, real_parse = [0], [0], ast.parse

    def slow_parse(source, *args, **kwargs):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.002)  # releases the GIL: without the lock the other threads would come in now
        inside[0] -= 1
        return real_parse(source, *args, **kwargs)

    with monkeypatch.context() as patch, ThreadPoolExecutor(8) as pool:
        patch.setattr(ast, "parse", slow_parse)
        list(pool.map(lambda i: parse_python(SOURCES[i % 3], quiet=bool(i % 2)), range(64)))
    assert most[0] == 1


def test_eval_mode_and_errors_pass_through():
    assert isinstance(parse_python("1 + 2", mode="eval"), ast.Expression)
    with pytest.raises(SyntaxError):
        parse_python("def (")


def test_compile_quietly_hides_syntax_warnings_and_raises_syntax_errors(recwarn):
    code = compile_quietly("'\\d'", "<test>", "eval")
    assert eval(code) == "\\d" and not [w for w in recwarn if issubclass(w.category, SyntaxWarning)]
    with pytest.raises(SyntaxError):
        compile_quietly("1 +", "<test>", "eval")
