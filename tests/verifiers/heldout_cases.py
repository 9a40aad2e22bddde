r"""Held-out grading cases for issue 12 (math-2.0): written before any tuning and frozen since.

These rows were written from the issue's failure categories alone, before the grader was changed, and their
results were not looked at while the grader was tuned (``grading_cases.py`` holds the tuning rows). They are
never edited: ``test_grading_cases.py`` pins their hash, and only their overall accuracy is asserted, at the
level first measured, so that the share of them the grader gets right is an honest estimate.

Each row is ``(response, gold, strict, flexible, note)``: the expected reward with ``extraction="strict"`` and
with ``extraction="flexible"``, and a note whose prefix is the category (``exact:`` a, ``commit:`` b,
``convention:`` c, ``equiv:`` d, ``flexible:`` the extraction modes).
"""

from __future__ import annotations

__all__ = ["HELD_OUT", "HELD_OUT_LATE"]

Row = tuple[str, str, float, float, str]


def _b(answer: str) -> str:
    return "The final answer is $\\boxed{" + answer + "}$."


def _same(response: str, gold: str, reward: float, note: str) -> Row:
    """A row whose expected reward is the same in both extraction modes."""
    return (response, gold, reward, reward, note)


_EXACT: list[Row] = [
    _same(_b("99999999999999999999999"), "10^{23}", 0.0, "exact: twenty-three nines vs ten to the 23"),
    _same(_b("10000000000000000000001"), "10^{22}+1", 1.0, "exact: big integer equals power plus one"),
    _same(_b("3^{40}"), "12157665459056928802", 0.0, "exact: power of three vs its successor"),
    _same(_b("3^{40}"), "12157665459056928801", 1.0, "exact: power of three vs its value"),
    _same(_b(r"\frac{1}{25!}"), r"\frac{1}{24!}", 0.0, "exact: reciprocal factorials differ"),
    _same(_b(r"\frac{1}{2^{91}}"), r"\frac{1}{2^{90}}", 0.0, "exact: tiny powers of two differ"),
    _same(_b("e^{-50}"), "0", 0.0, "exact: tiny exponential is not zero"),
    _same(_b(r"\frac{1}{10^{40}}"), "0", 0.0, "exact: tiny fraction is not zero"),
    _same(_b("10^{-40}"), "10^{-41}", 0.0, "exact: tiny powers of ten differ"),
    _same(_b(r"\sqrt{10^{40}+1}"), "10^{20}", 0.0, "exact: root of huge plus one"),
    _same(_b("2^{70}"), "1180591620717411303424", 1.0, "exact: two to the seventy equals its digits"),
    _same(_b(r"\binom{60}{30}"), "118264581564861424", 1.0, "exact: central binomial equals its digits"),
    _same(_b(r"\binom{60}{30}"), "118264581564861425", 0.0, "exact: central binomial off by one"),
    _same(_b("3.14159265358979323846264338327950288"), r"\pi", 0.0, "exact: long decimal of pi"),
    _same(_b("1.0000000000000000000000000001"), "1", 0.0, "exact: decimal a hair above one"),
    _same(_b(r"\ln(e^{30}+1)"), "30", 0.0, "exact: log of exponential plus one"),
    _same(_b(r"\cos(10^{-15})"), "1", 0.0, "exact: cosine of a tiny angle"),
    _same(_b("(1, 10^{-30})"), "(1, 0)", 0.0, "exact: tuple with a tiny coordinate"),
    _same(_b("0.1"), r"\frac{1}{10}", 1.0, "exact: terminating decimal equals its fraction"),
    _same(_b(r"\pi"), "3.14", 1.0, "exact: exact answer for a rounded decimal gold"),
    _same(_b(r"\sqrt{2}"), "1.41421356", 1.0, "exact: radical for a long decimal gold"),
    _same(_b("1.414"), r"\sqrt2", 0.0, "exact: rounded decimal for a radical gold"),
]

_COMMIT: list[Row] = [
    _same(
        r"First I got $\boxed{12}$, but I double counted the corner squares. Correcting that, the answer is "
        r"$\boxed{8}$.",
        "8",
        1.0,
        "commit: corrected count",
    ),
    _same(
        r"First I got $\boxed{12}$, but I double counted the corner squares. Correcting that, the answer is "
        r"$\boxed{8}$.",
        "12",
        0.0,
        "commit: corrected count against the retracted value",
    ),
    _same(
        r"The area is $\boxed{20}$. Hmm, wait: the height is 5, not 4, so the area is actually $\boxed{25}$.",
        "25",
        1.0,
        "commit: wait the height",
    ),
    _same(r"I'll say $\boxed{6}$ or $\boxed{7}$.", "7", 0.0, "commit: two boxes offered together"),
    _same(r"Possible answers: $\boxed{2}$, $\boxed{3}$.", "3", 0.0, "commit: list of possible boxes"),
    _same(
        r"Write your final answer like this: \boxed{42}. Now, 8 + 9 = 17, so the answer is \boxed{17}.",
        "17",
        1.0,
        "commit: format instruction then real box",
    ),
    (
        r"For example, $\boxed{5}$ would be the format. We compute 3 + 4 = 7.",
        "5",
        0.0,
        0.0,
        "commit: format example is not an answer",
    ),
    _same(
        r"So $x = \boxed{3}$. But then the denominator $x - 3$ vanishes, a contradiction, so $x = 3$ is extraneous. "
        r"The only solution is $\boxed{-2}$.",
        "-2",
        1.0,
        "commit: extraneous root replaced",
    ),
    _same(
        r"We obtain $\boxed{4}$. However, this contradicts the assumption that $n$ is odd.",
        "4",
        0.0,
        "commit: box declared contradictory",
    ),
    _same(
        r"\boxed{9}. Actually no, I misread the problem: it asks for the perimeter, which is \boxed{12}.",
        "12",
        1.0,
        "commit: misread problem",
    ),
    _same(
        r"The answer might be \boxed{10}, or it might be \boxed{11} if we include zero.",
        "11",
        0.0,
        "commit: might be this or that",
    ),
    _same(
        r"The total is $\boxed{36}$. Oops, I made an arithmetic error above: $13 \times 3 = 39$, not 36. "
        r"So the total is $\boxed{39}$.",
        "39",
        1.0,
        "commit: oops arithmetic error",
    ),
    _same(
        r"So the answer is \boxed{5}. Wait, let me verify: $5^2 = 25$, yes. So the answer is \boxed{5}.",
        "5",
        1.0,
        "commit: verification repeats the same box",
    ),
    _same(
        r"Answer: $\boxed{\frac12}$. Let me reconsider: the events are not independent, so the probability is "
        r"$\boxed{\frac13}$.",
        r"\frac13",
        1.0,
        "commit: reconsidered probability",
    ),
    _same(r"Case 1 gives $\boxed{4}$. Case 2 gives $\boxed{6}$.", "6", 0.0, "commit: two cases two boxes"),
    _same(
        r"$\boxed{7}$ is incorrect, since we forgot the carry; the correct value is $\boxed{8}$.",
        "8",
        1.0,
        "commit: incorrect then correct value",
    ),
    _same(
        r"$\boxed{7}$ is incorrect, since we forgot the carry; the correct value is $\boxed{8}$.",
        "7",
        0.0,
        "commit: the value called incorrect",
    ),
    _same(
        "<think>\nThe sum is 4.\n</think>\nI first thought $\\boxed{3}$, but on second thought it is $\\boxed{4}$.",
        "4",
        1.0,
        "commit: second thought after think",
    ),
    _same(
        r"Initially I wrote $\boxed{15}$. Scratch that: recounting gives $\boxed{16}$.",
        "16",
        1.0,
        "commit: scratch that",
    ),
    _same(
        r"Put the result in a box, e.g. $\boxed{\text{answer}}$. Result: $\boxed{14}$.",
        "14",
        1.0,
        "commit: e.g. placeholder box then result",
    ),
]

_CONVENTION: list[Row] = [
    _same("<think>\n2 + 2 = 4\n</think>\n<answer>4</answer>", "4", 1.0, "convention: r1-zero answer tag"),
    _same("<answer> The value is 12 </answer>", "12", 1.0, "convention: answer tag with a sentence"),
    _same(r"<answer>\frac{3}{4}</answer>", "0.75", 1.0, "convention: answer tag with a fraction"),
    _same("<answer>x = 2 or x = 3</answer>", "2", 0.0, "convention: answer tag with a hedge"),
    _same("<answer>13</answer>", "12", 0.0, "convention: answer tag wrong value"),
    _same("**Final Answer**\n\n42", "42", 1.0, "convention: bold final answer heading"),
    _same("### Final Answer\n$\\frac{7}{2}$", "3.5", 1.0, "convention: markdown heading then fraction"),
    _same("Final Answer\nThe number of handshakes is 45.", "45", 1.0, "convention: heading then a sentence"),
    _same("**Final Answer**\n\n41", "42", 0.0, "convention: heading with a wrong value"),
    _same(
        "Final Answer: After simplifying, the expression equals $x^2 - 1$.",
        "x^2-1",
        1.0,
        "convention: final answer sentence ending in an expression",
    ),
    _same("Final Answer: The train travels 240 miles.", "240", 1.0, "convention: final answer sentence with unit"),
    _same("Final Answer: The train travels 250 miles.", "240", 0.0, "convention: final answer sentence wrong"),
    _same("The correct option is (B).", "B", 1.0, "convention: correct option letter"),
    _same("The correct option is (D).", "B", 0.0, "convention: wrong option letter"),
    _same("After eliminating the others, the correct choice is C.", "C", 1.0, "convention: correct choice bare letter"),
    _same(
        "<think>\nWe need 17 mod 6. 17 = 2*6 + 5.\n</think>\nTherefore, the remainder is 5.",
        "5",
        1.0,
        "convention: closing sentence after think",
    ),
    _same(
        "<think>\n3 shirts at 12 dollars each.\n</think>\nThe total cost comes to $\\$36$.",
        "36",
        1.0,
        "convention: dollar amount in closing sentence after think",
    ),
    _same(
        "<think>\n3 shirts at 12 dollars each.\n</think>\nThe total cost comes to $\\$35$.",
        "36",
        0.0,
        "convention: wrong closing sentence after think",
    ),
    (
        "<think>\nMaybe 7.\n</think>\nI could not finish the computation.",
        "7",
        0.0,
        0.0,
        "convention: closing sentence without a value",
    ),
]

_EQUIV: list[Row] = [
    _same(_b("-3x < 12"), "x > -4", 1.0, "equiv: negated linear inequality"),
    _same(_b(r"2x + 1 \le 7"), r"(-\infty, 3]", 1.0, "equiv: linear inequality vs ray"),
    _same(_b(r"x \gt 5"), r"(5,\infty)", 1.0, "equiv: gt command"),
    _same(_b(r"x \lt -1"), r"(-\infty,-1)", 1.0, "equiv: lt command"),
    _same(_b(r"x \neq 2"), r"(-\infty,2)\cup(2,\infty)", 1.0, "equiv: neq vs union"),
    _same(_b("x != -1"), r"x \neq -1", 1.0, "equiv: bang equals vs neq"),
    _same(_b("(2,-3)"), "(x,y) = (2,-3)", 1.0, "equiv: tuple vs assigned tuple gold"),
    _same(_b("(-1,1]"), r"-1 < f(x) \le 1", 1.0, "equiv: interval vs range of a function"),
    _same(_b("|x - 1| < 2"), "(-1,3)", 1.0, "equiv: absolute value vs interval"),
    _same(_b(r"(-\infty,-2]\cup[2,\infty)"), r"|x| \ge 2", 1.0, "equiv: union vs absolute value gold"),
    _same(_b(r"\mathbb{R} \setminus \{0\}"), r"(-\infty,0)\cup(0,\infty)", 1.0, "equiv: setminus vs union"),
    _same(_b(r"x=1 \text{ or } x=-4"), "-4, 1", 1.0, "equiv: or of assignments vs list"),
    _same(_b(r"1, 3, \text{ and } 5"), "1,3,5", 1.0, "equiv: list with and"),
    _same(_b("{2, 5}"), r"\{2,5\}", 1.0, "equiv: bare braces set"),
    _same(_b("x=1, y=2; x=2, y=1"), "(1,2),(2,1)", 1.0, "equiv: semicolon solution list"),
    _same(_b("4 1/2"), r"\frac{9}{2}", 1.0, "equiv: mixed number with slash"),
    _same(_b(r"0.1666\ldots"), r"\frac16", 1.0, "equiv: ldots repeating decimal"),
    _same(_b(r"0.\overline{45}"), r"\frac{5}{11}", 1.0, "equiv: overline two digits"),
    _same(_b(r"\text{seven}"), "7", 1.0, "equiv: number word in text"),
    _same(_b("27^{2/3}"), "9", 1.0, "equiv: fractional exponent of a cube"),
    _same(_b("x^{3/2}"), r"x\sqrt{x}", 1.0, "equiv: fractional exponent vs radical"),
    _same(_b(r"\cos 60^\circ"), r"\frac{1}{2}", 1.0, "equiv: cosine of degrees"),
    _same(_b(r"\tan 45^{\circ}"), "1", 1.0, "equiv: tangent of degrees"),
    _same(
        _b(r"\left[\begin{array}{c} 1 \\ -2 \end{array}\right]"),
        r"\begin{pmatrix} 1 \\ -2 \end{pmatrix}",
        1.0,
        "equiv: array column vector vs pmatrix",
    ),
    _same(_b("2^{256}"), "2^{2^{8}}", 1.0, "equiv: tower vs evaluated exponent"),
    _same(_b("10^{10^{10}}"), "10^{10000000000}", 1.0, "equiv: huge tower vs evaluated exponent"),
    _same(_b("2^{2^{9}}"), "2^{1024}", 0.0, "equiv: tower with a different exponent"),
    _same(_b(r"x \ge -4"), "x > -4", 0.0, "equiv: closed vs open after negation"),
    _same(_b("-3x < 12"), "x < -4", 0.0, "equiv: negation flips the direction"),
    _same(_b("|x-1|<2"), "(-1,3]", 0.0, "equiv: absolute value vs half-open interval"),
    _same(_b(r"\mathbb{R}\setminus\{1\}"), r"(-\infty,0)\cup(0,\infty)", 0.0, "equiv: setminus wrong point"),
    _same(_b("4 1/2"), r"\frac{41}{2}", 0.0, "equiv: mixed number is not digits"),
    _same(_b(r"0.1666\ldots"), r"\frac17", 0.0, "equiv: repeating decimal wrong fraction"),
    _same(_b(r"\sin 30^\circ"), r"\frac{\sqrt3}{2}", 0.0, "equiv: sine of degrees wrong value"),
    _same(_b(r"x=1 \text{ or } x=4"), "-4, 1", 0.0, "equiv: or of assignments wrong root"),
]

_FLEXIBLE: list[Row] = [
    ("Adding these gives 7 + 8 = 15 apples in total.", "15", 0.0, 1.0, "flexible: closing sentence sum"),
    ("So Tom has 8 marbles left.", "8", 0.0, 1.0, "flexible: closing sentence count"),
    (r"Thus the probability is $\frac{1}{6}$.", r"\frac16", 0.0, 1.0, "flexible: closing sentence fraction"),
    ("Therefore x is either 2 or 3.", "3", 0.0, 0.0, "flexible: closing sentence hedge"),
    ("The result is 12. I hope this helps!", "12", 0.0, 1.0, "flexible: chit-chat after the value"),
    ("So Tom has 9 marbles left.", "8", 0.0, 0.0, "flexible: closing sentence wrong count"),
    ("I do not know how to solve this.", "8", 0.0, 0.0, "flexible: nothing to take"),
    (r"The answer is $\boxed{8}$. Tom also has 3 cards.", "8", 1.0, 1.0, "flexible: a box still wins"),
]

#: The frozen held-out rows: ``(response, gold, strict_reward, flexible_reward, note)``.
HELD_OUT: list[Row] = _EXACT + _COMMIT + _CONVENTION + _EQUIV + _FLEXIBLE


# ---------------------------------------------------------------------------------------------------------
# Second held-out batch: written after the first batch had been measured (100%) and before any further change
# to the grader, in the style of realistic model outputs; frozen the same way.
# ---------------------------------------------------------------------------------------------------------
_LATE: list[Row] = [
    _same(_b(r"\frac{1}{1000!}"), "0", 0.0, "exact: one over a thousand factorial"),
    _same(_b("2^{64}"), "18446744073709551616", 1.0, "exact: two to the 64 digits"),
    _same(_b("2^{64}-1"), "18446744073709551616", 0.0, "exact: two to the 64 minus one"),
    _same(_b(r"\frac{22}{7}"), r"\pi", 0.0, "exact: twenty-two sevenths"),
    _same(_b(r"\frac{355}{113}"), r"\pi", 0.0, "exact: milü"),
    _same(_b(r"\sqrt{2}"), r"\frac{99}{70}", 0.0, "exact: root two vs its convergent"),
    _same(_b("1.4142135623730950488016887242097"), r"\sqrt{2}", 0.0, "exact: thirty digits of root two"),
    _same(_b("0.3333333333333333333333333333333"), r"\frac{1}{3}", 0.0, "exact: thirty threes"),
    _same(_b(r"\frac{1}{3}"), "0.33", 1.0, "exact: third for a two-digit decimal gold"),
    _same(_b(r"e^{i\pi}"), "-1", 1.0, "exact: euler identity"),
    _same(_b(r"\cos^2 x + \sin^2 x"), "1", 1.0, "exact: pythagorean identity"),
    _same(_b("10^{-100}"), "0", 0.0, "exact: googol reciprocal"),
    _same(_b(r"\frac{999999}{1000000}"), "1", 0.0, "exact: six nines over a million"),
    _same(_b("4.0"), "4", 1.0, "exact: four point zero"),
    _same(_b("4.0000001"), "4", 0.0, "exact: four and a ten-millionth"),
    _same(
        "Therefore $\\boxed{12}$.\n\nHmm, wait. Let me recount the edges: a cube has 12 edges, and the answer is "
        "$\\boxed{12}$.",
        "12",
        1.0,
        "commit: recount confirms",
    ),
    _same(
        "So the answer is $\\boxed{3}$.\n\nWait, I need to double-check the constraint $x>0$. Since $x=3$ satisfies "
        "it, the answer remains $\\boxed{3}$.",
        "3",
        1.0,
        "commit: double-check keeps the value",
    ),
    _same(
        r"We get $\boxed{100}$. Hmm, actually I misread: the question asks for the remainder mod 7, which is "
        r"$\boxed{2}$.",
        "2",
        1.0,
        "commit: misread remainder",
    ),
    _same(
        r"We get $\boxed{100}$. Hmm, actually I misread: the question asks for the remainder mod 7, which is "
        r"$\boxed{2}$.",
        "100",
        0.0,
        "commit: misread remainder against the first box",
    ),
    _same(r"The two possible values are $\boxed{2}$ and $\boxed{-2}$.", "2", 0.0, "commit: plus and minus boxes"),
    _same(r"The two possible values are $\boxed{2}$ and $\boxed{-2}$.", "-2, 2", 1.0, "commit: both roots for both"),
    _same(r"I'm not sure whether it is $\boxed{5}$ or $\boxed{6}$.", "5", 0.0, "commit: not sure which"),
    _same(
        r"A common mistake is to answer $\boxed{10}$. The correct count is $\boxed{12}$.",
        "12",
        1.0,
        "commit: common mistake then correct count",
    ),
    _same(
        r"Your answer should be formatted as \boxed{ANSWER}. The speed is 45 mph, so \boxed{45}.",
        "45",
        1.0,
        "commit: uppercase placeholder",
    ),
    _same(
        r"If $n = 4$, this gives $\boxed{16}$, which is impossible since $n$ must be odd. With $n = 5$ we get "
        r"$\boxed{25}$.",
        "25",
        1.0,
        "commit: impossible case then the real one",
    ),
    _same(
        r"$\boxed{16}$ is the number of subsets, and $\boxed{8}$ is the number of odd subsets.",
        "8",
        0.0,
        "commit: two quantities boxed",
    ),
    _same(r"Final: \boxed{9}. Let me verify by substitution: 9 + 3 = 12.", "9", 1.0, "commit: verification after"),
    _same(
        r"The answer is \boxed{9}. (I previously wrote \boxed{8} but that was a typo.)",
        "9",
        1.0,
        "commit: typo box mentioned last",
    ),
    _same(
        "<think>\nOkay.\n</think>\n\n**Final Answer**\n\\[\n\\boxed{7}\n\\]",
        "7",
        1.0,
        "convention: heading with display box",
    ),
    _same("<answer>\n$\\boxed{7}$\n</answer>", "7", 1.0, "convention: box inside answer tag"),
    _same("<think>\n3 + 4\n</think>\n<answer>7", "7", 1.0, "convention: unterminated answer tag"),
    _same("<think>\n3 + 4\n</think>\n\nThe answer is $7$.", "7", 1.0, "convention: statement after think"),
    _same("Final Answer:\n\n$$\\frac{5}{12}$$", r"\frac{5}{12}", 1.0, "convention: colon then display math"),
    _same(
        "**Final Answer:** The probability is $\\frac{5}{12}$.",
        r"\frac{5}{12}",
        1.0,
        "convention: bold label then sentence",
    ),
    _same("Final Answer: The final answer is 7. I hope it is correct.", "7", 1.0, "convention: minerva template"),
    _same("ANSWER: 7", "7", 1.0, "convention: uppercase answer label"),
    _same("Answer: (B) 12", "B", 1.0, "convention: letter and value label"),
    _same(r"The correct answer is (D) $\frac{3}{4}$.", "D", 1.0, "convention: correct answer letter and value"),
    _same("The correct option is B", "B", 1.0, "convention: correct option without parentheses"),
    _same("<think>\ncount\n</think>\nThere are 24 ways.", "24", 1.0, "convention: there are after think"),
    _same(
        "<think>\ncount\n</think>\nThere are 24 ways, or 12 if rotations are identified.",
        "24",
        0.0,
        "convention: alternative count after think",
    ),
    _same("<think>\nthe answer should be 5\n</think>\n", "5", 0.0, "convention: empty after think"),
    _same("### Final answer\n\n12", "12", 1.0, "convention: lowercase heading"),
    _same("Final answer\n12 cm", "12", 1.0, "convention: heading then value with unit"),
    _same(_b(r"x \geq -\frac{1}{2}"), r"[-\frac12, \infty)", 1.0, "equiv: geq fraction vs ray"),
    _same(_b(r"-\frac{x}{2} \le \frac14"), r"x \ge -\frac12", 1.0, "equiv: fractional coefficient flips"),
    _same(_b("4 - x > 1"), r"(-\infty, 3)", 1.0, "equiv: four minus x"),
    _same(_b(r"x \in (-\infty, 3)"), "x < 3", 1.0, "equiv: membership vs inequality"),
    _same(_b(r"|x+1| \geq 2"), r"(-\infty,-3]\cup[1,\infty)", 1.0, "equiv: absolute value at least two"),
    _same(_b("|3-x| < 1"), "(2,4)", 1.0, "equiv: absolute value of three minus x"),
    _same(
        _b(r"\mathbb{R}\setminus\{2, -2\}"),
        r"(-\infty,-2)\cup(-2,2)\cup(2,\infty)",
        1.0,
        "equiv: setminus two unordered points",
    ),
    _same(_b("(x, y, z) = (1, 2, 3)"), "(1,2,3)", 1.0, "equiv: assigned triple"),
    _same(_b("(1,2,3)"), "(x,y,z)=(1,2,3)", 1.0, "equiv: triple vs assigned gold"),
    _same(_b(r"x = -1 \text{ or } x = 6"), "6, -1", 1.0, "equiv: or assignments unordered"),
    _same(_b(r"3 \text{ and } 7"), "3, 7", 1.0, "equiv: two values with and"),
    _same(_b(r"1, 2, \text{or } 3"), "1,2,3", 1.0, "equiv: list ending in or"),
    _same(_b("{-1, 0, 1}"), r"\{-1,0,1\}", 1.0, "equiv: bare braces with negatives"),
    _same(_b(r"x=0,y=1;\ x=1,y=0"), "(0,1),(1,0)", 1.0, "equiv: semicolon groups with control space"),
    _same(_b(r"3\ 3/4"), r"\frac{15}{4}", 1.0, "equiv: mixed number with control space"),
    _same(_b(r"3\ 3/4"), r"\frac{33}{4}", 0.0, "equiv: mixed number is not thirty-three quarters"),
    _same(_b(r"0.272727\ldots"), r"\frac{3}{11}", 1.0, "equiv: repeating two-digit block"),
    _same(_b(r"1.0\overline{3}"), r"\frac{31}{30}", 1.0, "equiv: overline after a fixed digit"),
    _same(_b(r"0.58\overline{3}"), r"\frac{7}{12}", 1.0, "equiv: overline after two fixed digits"),
    _same(_b(r"\text{Eight}"), "8", 1.0, "equiv: capitalised number word"),
    _same(_b(r"\text{one hundred}"), "100", 1.0, "equiv: one hundred in words"),
    _same(_b("16^{3/4}"), "8", 1.0, "equiv: sixteen to three quarters"),
    _same(_b("a^{2/3}"), r"\sqrt[3]{a^2}", 1.0, "equiv: two thirds power vs cube root"),
    _same(_b(r"\sin(90^\circ)"), "1", 1.0, "equiv: sine of ninety degrees"),
    _same(_b(r"\cos 120^{\circ}"), r"-\frac12", 1.0, "equiv: cosine of 120 degrees"),
    _same(_b(r"\tan 60^\circ"), r"\sqrt3", 1.0, "equiv: tangent of 60 degrees"),
    _same(
        _b(r"\begin{array}{cc} 2 & 0 \\ 0 & 2 \end{array}"),
        r"\begin{pmatrix} 2&0\\0&2 \end{pmatrix}",
        1.0,
        "equiv: bare array",
    ),
    _same(
        _b(r"\left(\begin{array}{c} 3 \\ 4 \end{array}\right)"),
        r"\begin{pmatrix}3\\4\end{pmatrix}",
        1.0,
        "equiv: parenthesised column array",
    ),
    _same(_b("5^{5^5}"), "5^{3125}", 1.0, "equiv: tower of fives"),
    _same(_b("2^{2^{2^2}}"), "65536", 1.0, "equiv: small tower vs its value"),
    _same(_b("8^{2^{10}}"), "2^{3072}", 1.0, "equiv: base eight tower"),
    _same(_b("2^{3^{2}}"), "2^{6}", 0.0, "equiv: tower is not a product"),
    _same(_b(r"|x+1| \ge 2"), r"(-\infty,-3)\cup(1,\infty)", 0.0, "equiv: closed absolute value vs open union"),
    ("Let's compute: 12 * 4 = 48. So she reads 48 pages.", "48", 0.0, 1.0, "flexible: pages read"),
    ("The final count is 48", "48", 0.0, 1.0, "flexible: final count without period"),
    ("She reads 48 pages, or maybe 50.", "48", 0.0, 0.0, "flexible: or maybe"),
    ("So x = 7", "7", 0.0, 1.0, "flexible: assignment without period"),
    (r"The answer is \boxed{7}. (Note: 3 + 4 = 7.)", "7", 1.0, 1.0, "flexible: note after the box"),
    _same(r"\boxed{7} wait \boxed{8} wait \boxed{9}", "8", 0.0, "commit: only the last of a chain counts"),
    _same("<answer>7 or 8</answer>", "8", 0.0, "convention: or inside the tag"),
    _same("Final Answer: 7, 8, 9", "8", 0.0, "convention: list for a single gold"),
    _same(_b(r"x \geq 0"), "5", 0.0, "equiv: ray for a number"),
    _same(_b(r"\mathbb{R}\setminus\{0\}"), "5", 0.0, "equiv: punctured line for a number"),
    _same("<think>\nhmm\n</think>\nThe answer is between 3 and 5.", "4", 0.0, "convention: between after think"),
]

#: The second frozen held-out batch, same layout as :data:`HELD_OUT`.
HELD_OUT_LATE: list[Row] = _LATE
