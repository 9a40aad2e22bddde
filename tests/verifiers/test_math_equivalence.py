"""Table-driven tests of ``answers_equivalent`` (answer vs gold, no extraction) and of the numeric rules."""

from __future__ import annotations

import pytest

from reasoning_gym.verifiers.math_answer import answers_equivalent, score_math
from reasoning_gym.verifiers.math_answer.equivalence import judge
from reasoning_gym.verifiers.math_answer.normalize import clean, words_to_number
from reasoning_gym.verifiers.math_answer.numbers import parse_number

# (predicted answer, gold answer)
EQUIVALENT = [
    # fractions and decimals written differently
    (r"\frac12", "0.5"),
    (r"\dfrac{1}{2}", r"\frac12"),
    (r"\tfrac{1}{2}", r"\frac{1}{2}"),
    ("1/2", r"\frac{1}{2}"),
    ("0.5", r"\frac12"),
    ("0.25", "1/4"),
    (".5", r"\frac12"),
    ("0.50", r"\frac{1}{2}"),
    (r"\frac{2}{4}", r"\frac12"),
    (r"\frac 34", "0.75"),
    (r"\frac9{19}", r"\frac{9}{19}"),
    (r"\frac{270}7", r"\frac{270}{7}"),
    (r"-\frac{1}{2}", r"\frac{-1}{2}"),
    (r"\frac{1}{-2}", r"-\frac12"),
    ("-0.5", r"-\frac{1}{2}"),
    (r"\frac{6}{3}", "2"),
    ("2.0", "2"),
    ("+5", "5"),
    ("007", "7"),
    (r"1\frac{4}{5}", r"\frac{9}{5}"),
    (r"\frac{9}{5}", r"1\frac{4}{5}"),
    ("137.5", r"137 \frac{1}{2}"),
    ("-1/3", "-1./3"),
    # repeating decimals are exact
    (r"0.\overline{3}", r"\frac13"),
    (r"0.1\overline{6}", r"\frac16"),
    (r"0.\overline{142857}", r"\frac{1}{7}"),
    (r"1.\overline{0}", "1"),
    # radicals and symbolic constants
    (r"2\sqrt{2}", r"\sqrt{8}"),
    (r"\sqrt8", r"2\sqrt2"),
    (r"\frac{\sqrt3}{3}", r"\frac{1}{\sqrt{3}}"),
    (r"\sqrt{2}/2", r"\frac{\sqrt{2}}{2}"),
    (r"11+11\sqrt{5}", r"11 \sqrt{5} + 11"),
    (r"2\pi", r"\pi \cdot 2"),
    (r"\frac{\pi}{2}", r"\frac12\pi"),
    (r"e^{0}", "1"),
    ("2^{-3}", r"\frac18"),
    (r"\sqrt{4}", "2"),
    # complex numbers
    ("6-5i", "6 - 5i"),
    ("-5i+6", "6 - 5i"),
    ("1+2i", "2i+1"),
    ("i^2", "-1"),
    # intervals, with LaTeX sizing noise
    (r"(-\infty, 3]", r"(-\infty,3]"),
    (r"\left[ 1, 2 \right)", "[1,2)"),
    (r"\left( -\sqrt{3}, \sqrt{3} \right)", r"(-\sqrt{3}, \sqrt{3})"),
    (r"(2, \infty)", r"(2,\infty)"),
    (r"(2, +\infty)", r"(2,\infty)"),
    (r"(9,36)\cup(0,9)", r"(0,9) \cup (9,36)"),
    (r"(-\infty,2)\cup(3,\infty)", r"(-\infty, 2) \cup (3, \infty)"),
    (r"(-\infty, \infty)", r"\mathbb{R}"),
    # inequalities against intervals
    ("x > 3", r"(3, \infty)"),
    (r"x \ge 3", r"[3, \infty)"),
    (r"x \le 2", r"(-\infty, 2]"),
    ("x < 2", r"(-\infty, 2)"),
    (r"-1 \le x \le 1", "[-1,1]"),
    ("-2 < x < 7", "(-2,7)"),
    ("3 < x", r"(3,\infty)"),
    (r"x \geq 3", r"x \ge 3"),
    (r"[-2,7]", r"x \in [-2,7]"),
    (r"(3,\infty)", "x>3"),
    # sets are unordered
    (r"\{1,2\}", r"\{2,1\}"),
    (r"\{2, 1\}", "1, 2"),
    ("3, 5, 7", "7, 5, 3"),
    (r"\{3,5,7\}", "3, 5, 7"),
    ("-2, 1", "1,-2"),
    (r"\{5\}", "5"),
    (r"1-\sqrt{5}, 1+\sqrt5, -2", r"\{1\pm\sqrt{5},-2\}"),
    (r"1+\sqrt{19}, 1-\sqrt{19}", r"1 \pm \sqrt{19}"),
    (r"3 \pm 2\sqrt{2}", r"3+2\sqrt2, 3-2\sqrt2"),
    (r"\pm 3", "3, -3"),
    (r"2 \text{ and } 3", "2, 3"),
    # tuples keep their order
    ("(1,2)", "(1,2)"),
    (r"\left( 3, \frac{\pi}{2} \right)", r"\left( 3, \frac{\pi}{2} \right)"),
    (r"(3, \frac{\pi}{2})", r"\left( 3, \frac{\pi}{2} \right)"),
    ("(0.5, 2)", r"(\frac12, 2)"),
    ("1, -16, -4, 43", "(1,-16,-4,43)"),
    ("(6,31,-1)", "(6, 31, -1)"),
    # matrices and vectors
    (r"\begin{bmatrix}1&2\\3&4\end{bmatrix}", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}"),
    (r"\begin{pmatrix}-1&0\\0&-1\end{pmatrix}", r"\begin{pmatrix} -1 & 0 \\ 0 & -1 \end{pmatrix}"),
    (r"\begin{pmatrix} 0.2 \\ -3.6 \end{pmatrix}", r"\begin{pmatrix} 1/5 \\ -18/5 \end{pmatrix}"),
    (r"\begin{pmatrix} -\frac13 \\ \frac23 \end{pmatrix}", r"\begin{pmatrix} -1/3 \\ 2/3 \end{pmatrix}"),
    ("(-2, -14, -7)", r"\begin{pmatrix} -2 \\ -14 \\ -7 \end{pmatrix}"),
    # units, degrees, money, percent
    ("30", r"30^\circ"),
    (r"30^{\circ}", "30"),
    ("30°", "30"),
    (r"30 \text{ degrees}", "30"),
    ("5", r"5 \text{ cm}"),
    (r"5 \text{ cm}", "5"),
    (r"5\mbox{ cm}^2", "5"),
    ("864", r"864 \mbox{ inches}^2"),
    ("5 cm", "5"),
    ("12 inches", "12"),
    (r"1.6 \mathrm{~cm}", "1.6"),
    (r"\$5", "5"),
    ("5", r"\$5"),
    ("18.9", r"\$18.90"),
    ("5.4", r"5.4 \text{ cents}"),
    (r"5\%", "5"),
    (r"5\%", r"5\%"),
    ("5", r"5\%"),
    ("0.05", r"5\%"),
    (r"\frac{1}{5}", r"20\%"),
    (r"\frac{270}{7}", r"\frac{270}7\text{ degrees}"),
    # thousands separators (only when the gold is a single number)
    ("1,000", "1000"),
    ("1{,}000", "1000"),
    (r"1\,000", "1000"),
    ("1 000", "1000"),
    ("10080", r"10,\!080"),
    ("32348", r"\$32,\!348"),
    ("58500", "58,500"),
    ("11111111100", r"11,\! 111,\! 111,\! 100"),
    ("1,000,000", "10^6"),
    # text answers
    (r"\text{Monday}", "Monday"),
    ("monday", r"\text{Monday}"),
    ("Evelyn", r"\text{Evelyn}"),
    (r"\textbf{east}", r"\text{east}"),
    ("Even", r"\text{even}"),
    (r"\text{the ellipse}", r"\text{ellipse}"),
    # multiple-choice letters and their values
    (r"\text{(B)}", "B"),
    ("(B)", "B"),
    ("B", r"\text{(B)}"),
    (r"\textbf{(B)}", r"\text{(B)}"),
    (r"\textbf{(B) } 12", "12"),
    (r"\textbf{(B) } 12", "B"),
    (r"\text{(C) } \frac12", "0.5"),
    # empty set / no solution
    (r"\emptyset", r"\varnothing"),
    (r"\{\}", r"\emptyset"),
    (r"\{ \}", r"\emptyset"),
    ("no solution", r"\emptyset"),
    ("No solutions", r"\varnothing"),
    ("none", r"\emptyset"),
    (r"\text{no real solutions}", r"\emptyset"),
    # scientific notation
    (r"3\times 10^{5}", "300000"),
    (r"3 \cdot 10^5", "3e5"),
    ("3e5", "300000"),
    ("3E+5", r"3\times10^5"),
    (r"4.5 \times 10^{33}", "4.5e33"),
    ("7.2e-3", "0.0072"),
    ("0.0072", "7.2e-3"),
    (r"10^{-3}", "0.001"),
    (r"2.75\times10^{11}", "2.75e11"),
    # number words
    ("five", "5"),
    ("twelve", "12"),
    ("one hundred", "100"),
    ("twenty-three", "23"),
    ("one thousand two hundred", "1200"),
    ("Zero", "0"),
    # variable assignments
    ("x = 5", "5"),
    ("k=-3", "-3"),
    ("x_1 = 4", "4"),
    (r"\theta = 30^\circ", "30"),
    ("5", "x=5"),
    ("y = 2x", "y = -2x \\cdot (-1)"),
    (r"x \approx 5", "5"),
    ("f(x) = x^2", "x^2"),
    ("2 + 2 = 4", "4"),
    # LaTeX noise
    (r"\left( 1, 2 \right)", "(1,2)"),
    (r"\!5", "5"),
    (r"\,5\,", "5"),
    ("~5", "5"),
    (r"\displaystyle\frac12", "0.5"),
    ("5.", "5"),
    (r"\mbox{5}", "5"),
    (r"\mathrm{5}", "5"),
    (r"\textbf{5}", "5"),
    (r"\boxed{5}", "5"),
    ("$5$", "5"),
    (r"\(5\)", "5"),
    ("{5}", "5"),
    (r"5\phantom{7}", "5"),
    (r"\color{red}{5}", "5"),
    (r"\textcolor{blue}{5}", "5"),
    ("(a+b+c)", "a + b + c"),
    # base-subscripted numerals
    ("52_{8}", "52_8"),
    ("4210_5", "4210_{5}"),
    ("52", "52_8"),
    # polynomial and expression identities (sympy)
    ("(x+1)^2", "x^2+2x+1"),
    ("x^2+2x+1", "(x+1)^2"),
    ("(a+5)(b+2)", "ab+2a+5b+10"),
    ("6r^2-4r-24", "2(3r^2-2r-12)"),
    ("p-q", "p - q"),
    ("-q+p", "p - q"),
    (r"\frac{x}{2}", "0.5x"),
    (r"\cot x", r"\frac{\cos x}{\sin x}"),
    (r"\sin^2 x + \cos^2 x", "1"),
    (r"\frac{11+9a}{20}", r"\frac{11}{20} + \frac{9a}{20}"),
    ("8n^2+4n+1", "1+4n+8n^2"),
    # equations against equations
    ("y=1+2x", "y = 2x+1"),
    ("y = 2x + 3", "y=2x+3"),
    ("2x - y + 3 = 0", "y = 2x + 3"),
    ("5x - 7y + 11z + 4 = 0", "-5x + 7y - 11z - 4 = 0"),
    # rounded decimal golds (Minerva): tolerance and stated precision
    ("1.60", "1.6"),
    ("1.63", "1.6"),
    ("1.6000001", "1.6"),
    (r"\frac{8}{5}", "1.6"),
    (r"\frac13", "0.33"),
    ("4.49", "4.49"),
    ("4.4904", "4.49"),
    ("4.1e33", "4e33"),
    (r"4.5 \times 10^{33}", "4.5e33"),
    ("0.104", "0.10"),
]

NOT_EQUIVALENT = [
    # different values
    ("4", r"4\sqrt{2}"),
    ("2", r"\frac{1}{2}"),
    ("x^3", "x^2"),
    ("120", "12"),
    ("12", "120"),
    ("1,001", "1000"),
    ("1001", "1,000"),
    ("-5", "5"),
    ("5", "-5"),
    (r"\frac{1}{3}", r"\frac{1}{4}"),
    (r"\sqrt{3}", r"\sqrt{2}"),
    ("6+5i", "6-5i"),
    ("0", "1"),
    ("x^2+1", "(x+1)^2"),
    ("2x+3", "2x+4"),
    ("y = 3x + 2", "y = 2x + 3"),
    ("y = 2x", "y = -2x"),
    ("5x - 7y + 11z - 4 = 0", "5x - 7y + 11z + 4 = 0"),
    (r"\pi", r"2\pi"),
    ("10^5", "10^6"),
    (r"\sin x", r"\cos x"),
    ("p+q", "p - q"),
    # decimal approximations of exact golds are wrong
    ("0.33", r"\frac13"),
    ("0.333", r"\frac{1}{3}"),
    ("0.3333333", r"\frac{1}{3}"),
    ("3.14", r"\pi"),
    ("3.14159265", r"\pi"),
    ("1.414", r"\sqrt{2}"),
    ("1.41421356", r"\sqrt{2}"),
    ("0.577", r"\frac{\sqrt3}{3}"),
    ("6366.2", r"\frac{20000}{\pi}"),
    ("2.718", "e"),
    (r"\begin{pmatrix} 0.333 \\ 1 \end{pmatrix}", r"\begin{pmatrix} 1/3 \\ 1 \end{pmatrix}"),
    # less precise than the rounded gold, or outside its rounding
    ("1.6", "1.63"),
    ("2", "1.6"),
    ("1.7", "1.6"),
    ("0.54", "0.5"),
    ("4.4e33", "4e33"),
    # order matters for tuples; brackets matter for intervals
    ("(2,1)", "(1,2)"),
    ("[1,2]", "(1,2)"),
    ("(1,2]", "(1,2)"),
    ("[1,2)", "[1,2]"),
    (r"(-\infty, 3)", r"(-\infty, 3]"),
    (r"\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
    (r"\begin{pmatrix} -7 \\ 16 \\ -5 \end{pmatrix}", r"\begin{pmatrix} -7 \\ 16 \\ 5 \end{pmatrix}"),
    (r"\begin{pmatrix} 1 & 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    ("(1,2)", r"\{1,2\}"),
    (r"x \ge 2", r"(-\infty, 2]"),
    ("x > 3", r"[3, \infty)"),
    # enumerations: a list only matches a gold with as many elements
    ("1, 2, 3, 4, 5, 6, 7, 8", "3"),
    (r"\{1,2,3,4,5,6,7,8\}", "3"),
    ("1, 2", "1"),
    ("3, 5", "3, 5, 7"),
    (r"\{1,2,3,4,5,6,7,8,9\}", "3, 5, 7"),
    (r"1, 2, 3, \dots", "3"),
    ("[0, 999]", "25"),
    (r"(-\infty,\infty)", "5"),
    (r"\pm 3", "3"),
    # alternatives and containers of the gold
    (r"5 \text{ or } 7", "5"),
    (r"x = 5 \text{ or } x = 7", "5"),
    ("5 or 7", "5"),
    ("1,2", "12"),
    ("5, 5", "5"),
    # percent and units are not free conversions
    ("0.05", "5"),
    ("500", r"5\%"),
    # words, letters, empty set
    (r"\text{Tuesday}", r"\text{Monday}"),
    ("Navin", r"\text{Evelyn}"),
    ("(C)", "B"),
    (r"\textbf{(C) } 12", "B"),
    ("C", r"\text{(B)}"),
    (r"\emptyset", "0"),
    ("0", r"\emptyset"),
    ("no solution", "5"),
    ("five", "6"),
    ("Monday", "5"),
    # base numerals
    ("53_8", "52_8"),
    ("4343_5", "4343_6"),
    ("42", "52_8"),
]


@pytest.mark.parametrize(("pred", "gold"), EQUIVALENT)
def test_equivalent(pred, gold):
    assert answers_equivalent(pred, gold), judge(pred, gold)


@pytest.mark.parametrize(("pred", "gold"), NOT_EQUIVALENT)
def test_not_equivalent(pred, gold):
    assert not answers_equivalent(pred, gold), judge(pred, gold)


# (answer, expected cleaned form)
CLEANED = [
    # delimiters, spacing and sizing commands go away
    ("$5$", "5"),
    (r"\left( 1, 2 \right)", "( 1, 2 )"),
    (r"\dfrac{1}{2}", r"\frac{1}{2}"),
    (r"\frac12", r"\frac{1}{2}"),
    (r"\sqrt2", r"\sqrt{2}"),
    # units, degrees, dollars, assignments
    (r"30^\circ", "30"),
    (r"5 \text{ cm}", "5"),
    (r"\$18.90", "18.90"),
    ("x = 5", "5"),
    (r"x \in [-2,7]", "[-2,7]"),
    # empty set spellings
    ("No solution", r"\emptyset"),
    (r"\varnothing", r"\emptyset"),
]


@pytest.mark.parametrize(("answer", "expected"), CLEANED)
def test_clean(answer, expected):
    assert clean(answer) == expected


# (words, value)
NUMBER_WORDS = [
    # plain cardinals
    ("five", 5),
    ("twelve", 12),
    ("twenty-three", 23),
    ("one hundred and five", 105),
    ("two thousand", 2000),
    ("minus four", -4),
    # not numbers
    ("five apples", None),
    ("and", None),
]


@pytest.mark.parametrize(("words", "value"), NUMBER_WORDS)
def test_words_to_number(words, value):
    assert words_to_number(words) == value


# (squashed answer, is it approximate)
NUMBER_KINDS = [
    # exact spellings
    ("12", False),
    (r"\frac{1}{3}", False),
    (r"0.\overline{3}", False),
    (r"3\times10^{5}", False),
    # decimal literals are approximations
    ("0.5", True),
    ("7.2e-3", True),
    (r"4.5\times10^{33}", True),
]


@pytest.mark.parametrize(("text", "approximate"), NUMBER_KINDS)
def test_number_kind(text, approximate):
    num = parse_number(text)
    assert num is not None and num.approximate is approximate


# Pathological answers: the verdict must be decided (cheaply), never an exception or an "error".
PATHOLOGICAL = [
    # power towers and huge powers
    (r"9^{9^{9^{9}}}", "5"),
    (r"10^{10^{10}}", "5"),
    (r"e^{e^{e^{e^{e}}}}", "5"),
    ("2^{99999999}", "5"),
    ("(x+1)^{5000}", "x"),
    ("x^{x^{x^{x}}}", "x"),
    # factorials, binomials, sums
    ("100000!", "5"),
    ("(10^{10})!", "5"),
    (r"\binom{10^{9}}{10^{8}}", "5"),
    (r"\sum_{k=1}^{10^{12}} k", "5"),
    # huge literals
    ("9" * 5000, "5"),
    ("1e999999999", "5"),
    ("1" + "0" * 3000, "5"),
    # long or malformed input
    ("1+" * 3000 + "1", "5"),
    ("1." * 2000, "5"),
    (r"\frac{1}{" * 300 + "2" + "}" * 300, "5"),
    ("{" * 3000, "5"),
    (r"\frac{1}{", "5"),
    ("\x00" * 1000, "5"),
    ("\ud800 5", "6"),
]


@pytest.mark.parametrize(("answer", "gold"), PATHOLOGICAL)
def test_pathological_answers_are_decided(answer, gold):
    verdict = score_math(r"\boxed{" + answer + "}", gold)
    assert verdict.status in {"wrong", "unparseable", "no_answer", "correct"}, verdict
    assert verdict.reward == 0.0


def test_identical_pathological_answer_still_matches():
    tower = r"9^{9^{9^{9}}}"
    assert score_math(r"\boxed{" + tower + "}", tower).status == "correct"


def test_unparseable_status():
    verdict = score_math(r"\boxed{\frac{1}{}", "5")
    assert verdict.status in {"unparseable", "no_answer"}
    verdict = score_math(r"\boxed{)(*&^}", "5")
    assert verdict.status == "unparseable", verdict
