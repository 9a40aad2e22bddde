r"""Tuning rows for issue 12 (math-2.0): exact comparison, self-correction, answer conventions, equivalences.

Each row is ``(response, gold, strict, flexible, note)``: the expected reward with ``extraction="strict"``
and with ``extraction="flexible"``, and a unique note whose prefix is the category:

* ``exact:`` (a) exact values are compared exactly; a tolerance only applies to a decimal gold.
* ``commit:`` (b) the last committed box counts when the text retracts the earlier ones; alternatives offered
  together stay a hedge; a box in a format example, or one the response rejects, is no answer.
* ``convention:`` (c) ``<answer>`` tags, a "Final Answer" heading, a "Final Answer:" sentence, "the correct
  option is (C)", the closing sentence after ``</think>``.
* ``equiv:`` (d) inequalities, assignments, absolute values, set differences, connective lists, bare-brace
  sets, mixed numbers, repeating decimals, degrees in trigonometric functions, array matrices, power towers.
* ``flexible:`` rows where the two extraction modes differ (the closing sentence of an unmarked response).

``heldout_cases.py`` holds the rows that were kept out of tuning.
"""

from __future__ import annotations

__all__ = ["TUNING"]

Row = tuple[str, str, float, float, str]


def _b(answer: str) -> str:
    return "So the answer is $\\boxed{" + answer + "}$."


def _same(response: str, gold: str, reward: float, note: str) -> Row:
    return (response, gold, reward, reward, note)


_EXACT: list[Row] = [
    _same(_b("1267650600228229401496703205377"), "2^{100}", 0.0, "exact: two to the hundred plus one"),
    _same(_b("1267650600228229401496703205376"), "2^{100}", 1.0, "exact: two to the hundred digits"),
    _same(_b("2^{100}+1"), "2^{100}", 0.0, "exact: power plus one"),
    _same(_b(r"\frac{1}{21!}"), r"\frac{1}{20!}", 0.0, "exact: one over 21 factorial"),
    _same(_b(r"\frac{1}{31!}"), r"\frac{1}{30!}", 0.0, "exact: one over 31 factorial"),
    _same(_b(r"\frac{1}{20!}"), r"\frac{1}{20!}", 1.0, "exact: same reciprocal factorial"),
    _same(_b(r"\frac{1}{2432902008176640000}"), r"\frac{1}{20!}", 1.0, "exact: reciprocal factorial digits"),
    _same(_b("e^{-100}"), "0", 0.0, "exact: e to the minus hundred"),
    _same(_b(r"\sqrt{10^{60}+1}"), "10^{30}", 0.0, "exact: root of ten to sixty plus one"),
    _same(_b("0.999999999999999999999999999999"), "1", 0.0, "exact: thirty nines"),
    _same(_b("3.141592653589793238462643383279502884"), r"\pi", 0.0, "exact: thirty-six digits of pi"),
    _same(_b("2.718281828459045235360287471352662497757"), "e", 0.0, "exact: forty digits of e"),
    _same(_b(r"\frac{10^{30}}{10^{30}+1}"), "1", 0.0, "exact: ratio just below one"),
    _same(_b(r"2^{-200}"), "0", 0.0, "exact: tiny power of two"),
    _same(_b(r"\left(1+\frac{1}{10^{20}}\right)^{10^{20}}"), "e", 0.0, "exact: limit expression for e"),
    _same(_b(r"\frac{1}{3^{50}}"), r"\frac{1}{3^{51}}", 0.0, "exact: tiny powers of three"),
    _same(_b(r"\sqrt{2}+\sqrt{3}"), r"\sqrt{5+2\sqrt{6}}", 1.0, "exact: denested radical"),
    _same(_b(r"\sin\frac{\pi}{6}"), r"\frac12", 1.0, "exact: sine of pi over six"),
    _same(_b(r"\frac{\sqrt{6}-\sqrt{2}}{4}"), r"\sin\frac{\pi}{12}", 1.0, "exact: sine of pi over twelve"),
    _same(_b(r"\log_2 1024"), "10", 1.0, "exact: logarithm base two"),
    _same(_b("10^{-25}"), "0", 0.0, "exact: ten to the minus 25"),
    _same(_b("(0, 1+10^{-30})"), "(0,1)", 0.0, "exact: tuple coordinate a hair off"),
    _same(_b(r"[0, 1+10^{-30}]"), "[0,1]", 0.0, "exact: interval endpoint a hair off"),
    _same(_b("0.125"), r"\frac{1}{8}", 1.0, "exact: terminating decimal equals eighth"),
    _same(_b("1.6449"), r"\frac{\pi^2}{6}", 0.0, "exact: basel sum rounded"),
    _same(_b(r"\frac{\pi^2}{6}"), "1.6449", 1.0, "exact: basel sum for a decimal gold"),
    _same(_b("2.236"), r"\sqrt{5}", 0.0, "exact: rounded root five"),
    _same(_b(r"\sqrt{5}"), "2.236", 1.0, "exact: root five for a decimal gold"),
    _same(_b("2.24"), "2.236", 0.0, "exact: rounder decimal for a decimal gold"),
    _same(_b(r"999999999999999999999999999999"), "10^{30}-1", 1.0, "exact: thirty nines equal power minus one"),
    _same(_b(r"\frac{1}{7}"), "0.142857", 1.0, "exact: seventh for a six-digit decimal gold"),
]

_COMMIT: list[Row] = [
    _same(
        r"So the answer is \boxed{12}. Wait, I forgot the last term, so the answer is \boxed{15}.",
        "15",
        1.0,
        "commit: wait I forgot",
    ),
    _same(
        r"So the answer is \boxed{12}. Wait, I forgot the last term, so the answer is \boxed{15}.",
        "12",
        0.0,
        "commit: wait I forgot against the first box",
    ),
    _same(r"$\boxed{5}$ -- no wait, that's wrong. It is $\boxed{7}$.", "7", 1.0, "commit: no wait that's wrong"),
    _same(r"$\boxed{5}$ -- no wait, that's wrong. It is $\boxed{7}$.", "5", 0.0, "commit: rejected box is no answer"),
    _same(
        r"This gives $\boxed{18}$. Hold on, I made a mistake in the second step: it should be $3 \cdot 7 = 21$. "
        r"The answer is $\boxed{21}$.",
        "21",
        1.0,
        "commit: hold on mistake",
    ),
    _same(
        r"We get $\boxed{64}$. Let me double-check. Actually, the base is 3, not 4, so we get $\boxed{27}$.",
        "27",
        1.0,
        "commit: actually the base",
    ),
    _same(
        r"That gives $\boxed{2}$. Hmm, that is not right because $x$ must be positive. Redoing it, $\boxed{5}$.",
        "5",
        1.0,
        "commit: not right redoing",
    ),
    _same(
        r"My first answer $\boxed{0.5}$ was incorrect. The correct answer is $\boxed{0.25}$.",
        "0.25",
        1.0,
        "commit: first answer incorrect",
    ),
    _same(
        r"\boxed{3}. Correction: I dropped a factor of two, so it is \boxed{6}.",
        "6",
        1.0,
        "commit: correction label",
    ),
    _same(r"The answer is $\boxed{3}$ or $\boxed{4}$.", "4", 0.0, "commit: three or four boxes"),
    _same(r"$\boxed{3}$ and $\boxed{4}$ both work.", "4", 0.0, "commit: both work"),
    _same(r"Either $\boxed{1}$, $\boxed{2}$, or $\boxed{3}$.", "3", 0.0, "commit: either of three boxes"),
    _same(
        r"One option is $\boxed{9}$; another option is $\boxed{10}$.", "10", 0.0, "commit: options without retraction"
    ),
    _same(
        r"Format: put the result as $\boxed{n}$. We find $n = 11$, so $\boxed{11}$.",
        "11",
        1.0,
        "commit: format line then answer",
    ),
    _same(
        r"(For example, if the answer were 5 you would write $\boxed{5}$.) Our count is $\boxed{13}$.",
        "13",
        1.0,
        "commit: hypothetical example then answer",
    ),
    _same(
        r"For example, $\boxed{13}$ would be the format.",
        "13",
        0.0,
        "commit: only a format example",
    ),
    _same(
        r"Solving, $x = \boxed{1}$. But $x = 1$ makes the logarithm undefined, so this is impossible.",
        "1",
        0.0,
        "commit: impossible box",
    ),
    _same(
        r"Solving, $x = \boxed{1}$. But $x = 1$ makes the logarithm undefined, so we reject it; the solution is "
        r"$x = \boxed{4}$.",
        "4",
        1.0,
        "commit: rejected root then solution",
    ),
    _same(
        r"$\boxed{8}$ is wrong. The right value is $\boxed{9}$.",
        "9",
        1.0,
        "commit: is wrong then right value",
    ),
    _same(
        r"The answer is $\boxed{20}$. Hmm, let me recompute. $4 \times 6 = 24$. So the answer is $\boxed{24}$.",
        "24",
        1.0,
        "commit: let me recompute",
    ),
    _same(
        r"The answer is $\boxed{20}$. Also, $\boxed{24}$ is the number of edges.",
        "24",
        0.0,
        "commit: second box for another quantity",
    ),
    _same(
        r"\boxed{5} is my answer. On reflection, I misapplied the formula; the answer is \boxed{6}.",
        "6",
        1.0,
        "commit: on reflection misapplied",
    ),
    _same(
        r"The maximum is $\boxed{7}$ and the minimum is $\boxed{2}$.",
        "2",
        0.0,
        "commit: max and min boxes",
    ),
    _same(
        r"So $\boxed{10}$. Wait, no: I double counted, giving $\boxed{9}$. Wait, that is also off; it is $\boxed{8}$.",
        "8",
        1.0,
        "commit: two corrections",
    ),
    _same(
        r"So $\boxed{10}$. Wait, no: I double counted, giving $\boxed{9}$. Wait, that is also off; it is $\boxed{8}$.",
        "9",
        0.0,
        "commit: middle of two corrections",
    ),
    _same(r"\boxed{4}, though this contradicts part (a).", "4", 0.0, "commit: contradicts part a"),
]

_CONVENTION: list[Row] = [
    _same("<answer>15</answer>", "15", 1.0, "convention: bare answer tag"),
    _same("<think>\nadd them\n</think>\n<answer>\n15\n</answer>", "15", 1.0, "convention: answer tag on lines"),
    _same("<answer>$\\frac{1}{2}$</answer>", "0.5", 1.0, "convention: answer tag with math"),
    _same("<answer>The final result is 15 apples.</answer>", "15", 1.0, "convention: answer tag sentence"),
    _same("<answer>16</answer>", "15", 0.0, "convention: answer tag wrong"),
    _same("<answer>3 or 4</answer>", "4", 0.0, "convention: answer tag or"),
    _same("<answer></answer>", "4", 0.0, "convention: empty answer tag"),
    _same("Reasoning...\n**Final Answer**\n15", "15", 1.0, "convention: final answer heading"),
    _same("## Final Answer\n\n$15$", "15", 1.0, "convention: markdown final answer heading"),
    _same("Final Answer\n\n\\[ \\frac{2}{3} \\]", r"\frac23", 1.0, "convention: heading display math"),
    _same("**Final Answer**\nThe perimeter is 28 cm.", "28", 1.0, "convention: heading sentence with unit"),
    _same("**Final Answer**\n16", "15", 0.0, "convention: heading wrong value"),
    _same("Final Answer: The total number of apples is 15.", "15", 1.0, "convention: final answer sentence"),
    _same("Final Answer: So the slope of the line is $-\\frac{3}{4}$.", r"-\frac34", 1.0, "convention: slope sentence"),
    _same("Final Answer: She needs 7 more boxes.", "7", 1.0, "convention: needs more boxes"),
    _same("Final Answer: She needs 8 more boxes.", "7", 0.0, "convention: needs more boxes wrong"),
    _same("Final answer: Between 4 and 6 boxes.", "6", 0.0, "convention: final answer range sentence"),
    _same("The correct option is (C).", "C", 1.0, "convention: correct option is C"),
    _same("Hence the correct answer is option (A).", "A", 1.0, "convention: correct answer is option A"),
    _same("So option (E) is correct.", "E", 1.0, "convention: option E is correct"),
    _same("The correct option is (C).", "A", 0.0, "convention: correct option wrong letter"),
    _same("<think>blah 3+4</think>\n\nSo Janet makes 18 dollars.", "18", 1.0, "convention: closing sentence dollars"),
    _same("<think>\nlong\n</think>\n\nThe area is $12\\pi$ square units.", r"12\pi", 1.0, "convention: closing pi"),
    _same("<think>\nlong\n</think>\n\n42", "42", 1.0, "convention: bare value after think"),
    _same("<think>x</think>Tom owes \u22125 dollars.", "-5", 1.0, "convention: unicode minus after think"),
    _same("<think>\nlong\n</think>\n\nThe answer is 2 or 3.", "2", 0.0, "convention: hedge after think"),
    _same(
        "<think>\nlong\n</think>\n\nWe add 3 and 4. So the sum is 7.",
        "7",
        1.0,
        "convention: two sentences after think",
    ),
    _same(
        "<think>\nlong\n</think>\n\nWe add 3 and 4. So the sum is 8.",
        "7",
        0.0,
        "convention: two sentences after think wrong",
    ),
]

_EQUIV: list[Row] = [
    _same(_b(r"-2x \ge -6"), r"x \le 3", 1.0, "equiv: negated ge vs le"),
    _same(_b(r"x \le 3"), r"-2x \ge -6", 1.0, "equiv: le vs negated gold"),
    _same(_b("3 > x"), "x < 3", 1.0, "equiv: flipped sides"),
    _same(_b("5x - 10 > 0"), r"(2,\infty)", 1.0, "equiv: five x minus ten vs ray"),
    _same(_b(r"-x \le 4"), r"[-4,\infty)", 1.0, "equiv: negated le vs ray"),
    _same(_b(r"x \lt 3"), r"(-\infty,3)", 1.0, "equiv: lt vs ray"),
    _same(_b(r"y \gt -2"), r"(-2,\infty)", 1.0, "equiv: gt in y"),
    _same(_b(r"x \neq 3"), r"(-\infty,3)\cup(3,\infty)", 1.0, "equiv: neq three vs union"),
    _same(_b("x != 3"), r"x \ne 3", 1.0, "equiv: bang equals vs ne"),
    _same(_b(r"x \neq 3"), r"x \ne 4", 0.0, "equiv: neq different points"),
    _same(_b(r"-2x \ge -6"), r"x \ge 3", 0.0, "equiv: negated ge not flipped"),
    _same(_b("(1,4)"), "(a,b)=(1,4)", 1.0, "equiv: pair vs assigned pair"),
    _same(_b("(a,b)=(1,4)"), "(1,4)", 1.0, "equiv: assigned pair vs pair"),
    _same(_b("(4,1)"), "(a,b)=(1,4)", 0.0, "equiv: swapped pair vs assigned pair"),
    _same(_b("(0,2)"), "0 < g(t) < 2", 1.0, "equiv: interval vs function range"),
    _same(_b("[0,2)"), "0 < g(t) < 2", 0.0, "equiv: closed interval vs open range"),
    _same(_b("|x|>3"), r"(-\infty,-3)\cup(3,\infty)", 1.0, "equiv: absolute value outside"),
    _same(_b(r"|x+2| \le 5"), "[-7,3]", 1.0, "equiv: absolute value closed inside"),
    _same(_b("|2x-1|<3"), "(-1,2)", 1.0, "equiv: absolute value scaled"),
    _same(_b("|x|<3"), "[-3,3]", 0.0, "equiv: absolute value open vs closed"),
    _same(_b(r"x \le -2 \text{ or } x \ge 2"), r"|x| \ge 2", 1.0, "equiv: or of rays vs absolute value gold"),
    _same(_b(r"x < 3 \text{ or } x > 4"), r"x \ne 3", 0.0, "equiv: or of rays with a gap vs ne gold"),
    _same(_b(r"x \neq 3"), r"\mathbb{R}\setminus\{3\}", 1.0, "equiv: neq vs setminus gold"),
    _same(_b(r"\cos^2 45^\circ"), r"\frac12", 1.0, "equiv: squared cosine of degrees"),
    _same(_b(r"\mathbb{R}\setminus\{3\}"), r"(-\infty,3)\cup(3,\infty)", 1.0, "equiv: setminus one point"),
    _same(
        _b(r"\mathbb{R} \setminus \{-1, 1\}"),
        r"(-\infty,-1)\cup(-1,1)\cup(1,\infty)",
        1.0,
        "equiv: setminus two points",
    ),
    _same(_b(r"y=-3 \text{ or } y=5"), "-3, 5", 1.0, "equiv: or of y assignments"),
    _same(_b(r"2, 4, \text{and } 6"), "2,4,6", 1.0, "equiv: and in text"),
    _same(_b("2, 4, and 6"), "2,4,6", 1.0, "equiv: and bare"),
    _same(_b("2, 4, and 8"), "2,4,6", 0.0, "equiv: and bare wrong"),
    _same(_b(r"x = 2 \text{ and } x = 7"), "2, 7", 1.0, "equiv: and of assignments"),
    _same(_b(r"x<-3 \text{ or } x>3"), r"(-\infty,-3)\cup(3,\infty)", 1.0, "equiv: or of inequalities"),
    _same(_b("{1,2,3}"), r"\{1,2,3\}", 1.0, "equiv: bare braces"),
    _same(_b(r"\{3,2,1\}"), "{1,2,3}", 1.0, "equiv: bare braces gold"),
    _same(_b("{1,2}"), r"\{1,2,3\}", 0.0, "equiv: bare braces missing element"),
    _same(_b("a=1,b=2; a=3,b=4"), "(1,2),(3,4)", 1.0, "equiv: semicolon assignments"),
    _same(_b("(3,4),(1,2)"), "a=1,b=2; a=3,b=4", 1.0, "equiv: pairs vs semicolon gold"),
    _same(_b("a=1,b=2; a=3,b=5"), "(1,2),(3,4)", 0.0, "equiv: semicolon assignments wrong"),
    _same(_b("2 1/3"), r"\frac73", 1.0, "equiv: mixed number"),
    _same(_b("-1 1/2"), "-1.5", 1.0, "equiv: negative mixed number"),
    _same(_b("2 1/3"), r"\frac{21}{3}", 0.0, "equiv: mixed number is not 21 thirds"),
    _same(_b(r"0.666\ldots"), r"\frac23", 1.0, "equiv: ldots two thirds"),
    _same(_b("0.333..."), r"\frac13", 1.0, "equiv: dots third"),
    _same(_b(r"0.142857142857\dots"), r"\frac17", 1.0, "equiv: dots seventh"),
    _same(_b(r"0.\overline6"), r"\frac23", 1.0, "equiv: overline without braces"),
    _same(_b(r"0.\overline{3}"), r"0.333\ldots", 1.0, "equiv: overline vs ldots"),
    _same(_b(r"0.666\ldots"), r"\frac{6}{10}", 0.0, "equiv: ldots is not terminating"),
    _same(_b(r"0.6\ldots"), r"\frac{2}{3}", 0.0, "equiv: one digit and dots is not periodic"),
    _same(_b(r"\text{five}"), "5", 1.0, "equiv: text five"),
    _same(_b(r"\text{twenty-one}"), "21", 1.0, "equiv: text twenty-one"),
    _same(_b(r"\text{four}"), "5", 0.0, "equiv: text four"),
    _same(_b("8^{2/3}"), "4", 1.0, "equiv: eight to two thirds"),
    _same(_b("x^{1/3}"), r"\sqrt[3]{x}", 1.0, "equiv: cube root exponent"),
    _same(_b(r"2^{\frac{3}{2}}"), r"2\sqrt{2}", 1.0, "equiv: frac exponent vs radical"),
    _same(_b(r"\sin 30^\circ"), r"\frac12", 1.0, "equiv: sine degrees"),
    _same(_b(r"\cos(60°)"), "0.5", 1.0, "equiv: cosine unicode degrees"),
    _same(_b(r"2\sin 45^{\circ}"), r"\sqrt{2}", 1.0, "equiv: twice sine 45 degrees"),
    _same(_b(r"\sin 30^\circ"), r"\sin 30", 0.0, "equiv: degrees vs radians"),
    _same(
        _b(r"\left[\begin{array}{cc}1&2\\3&4\end{array}\right]"),
        r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
        1.0,
        "equiv: array matrix vs pmatrix",
    ),
    _same(
        _b(r"\left(\begin{array}{cc}1&0\\0&1\end{array}\right)"),
        r"\begin{bmatrix}1&0\\0&1\end{bmatrix}",
        1.0,
        "equiv: parenthesised array vs bmatrix",
    ),
    _same(
        _b(r"\left[\begin{array}{cc}1&2\\4&3\end{array}\right]"),
        r"\begin{pmatrix}1&2\\3&4\end{pmatrix}",
        0.0,
        "equiv: array matrix wrong entries",
    ),
    _same(_b("2^{1024}"), "2^{2^{10}}", 1.0, "equiv: tower two to two to ten"),
    _same(_b("2^{65536}"), "2^{2^{2^{2^2}}}", 1.0, "equiv: tower of four twos"),
    _same(_b("4^{512}"), "2^{2^{10}}", 1.0, "equiv: tower with base four"),
    _same(_b("3^{3^{3^3}}"), "3^{7625597484987}", 1.0, "equiv: tower of threes"),
    _same(_b("3^{3^{3^3}}"), "3^{7625597484986}", 0.0, "equiv: tower of threes off by one"),
    _same(_b("2^{2^{2^{2^2}}}"), "2^{65535}", 0.0, "equiv: tower of twos off by one"),
    _same(_b("9^{9^{9}}"), "3^{2 \\cdot 9^{9}}", 1.0, "equiv: tower base nine vs three"),
]

_FLEXIBLE: list[Row] = [
    ("So Janet makes 18 dollars every day.", "18", 0.0, 1.0, "flexible: closing sentence dollars"),
    ("Thus there are $\\frac{3}{8}$ of the pie left.", r"\frac38", 0.0, 1.0, "flexible: closing math fraction"),
    ("The sum is 2 + 3 = 5.", "5", 0.0, 1.0, "flexible: closing equation value"),
    ("The sum is 2 + 3 = 5. Thanks for asking!", "5", 0.0, 1.0, "flexible: thanks after the value"),
    ("It is 4 or 5.", "5", 0.0, 0.0, "flexible: closing hedge"),
    ("So Janet makes 17 dollars every day.", "18", 0.0, 0.0, "flexible: closing sentence wrong"),
    ("We found the values 3, then 4, and finally 7.\n\nSo the total is 7.", "7", 0.0, 1.0, "flexible: last line"),
    ("Let me think about it.", "7", 0.0, 0.0, "flexible: no value at all"),
    ("Final answer: 7", "7", 1.0, 1.0, "flexible: marked answer in both modes"),
    ("<think>\nthe sum is 7\n</think>", "7", 0.0, 0.0, "flexible: nothing after think"),
    ("The value of x is 1,000.", "1000", 0.0, 1.0, "flexible: thousands separator"),
]

#: ``(response, gold, strict_reward, flexible_reward, note)``.
TUNING: list[Row] = _EXACT + _COMMIT + _CONVENTION + _EQUIV + _FLEXIBLE
