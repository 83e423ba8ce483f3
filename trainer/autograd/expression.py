"""The explorer's expression language: a tokenizer and a recursive-descent parser to a small AST.

Grammar (Python's precedence; `-a ** 2` is `-(a ** 2)`, `**` groups to the right):

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom ('**' unary)?
    atom   := NUMBER | NAME | FUNCTION '(' expr ')' | '(' expr ')'

User text is only ever read by this parser, never by eval, exec or compile. Anything outside the
grammar is a ParseError naming the 0-based position and what was expected there. Length and
nesting are checked before any parsing or recursion, so no input can exhaust the stack.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Union

MAX_LENGTH = 1_000       # characters in an expression
MAX_DEPTH = 40           # nested parentheses, calls and signs
MAX_OPERATIONS = 120     # operations in one expression: a graph that still reads, and bounded recursion
MAX_ELEMENTS = 64        # numbers in one value (a scalar, a list or a list of lists)
MAX_VALUE_DIMS = 2       # a value is a scalar, a vector or a matrix

# The functions a learner may call: name -> what it computes (the torch function of the same name).
FUNCTIONS: dict[str, str] = {
    "exp": "e to the power x",
    "log": "natural logarithm",
    "sqrt": "square root",
    "abs": "absolute value",
    "tanh": "hyperbolic tangent",
    "sigmoid": "1 / (1 + exp(-x))",
    "relu": "max(x, 0)",
    "sin": "sine",
    "cos": "cosine",
    "sum": "sum of all elements",
    "mean": "mean of all elements",
}

BINARY_OPS = ("+", "-", "*", "/", "**")
_OPERATORS = "an operator (+ - * / **)"
_OPERAND = "a number, a name, a function call or '('"


class ParseError(ValueError):
    """Text outside the grammar: `position` is the 0-based index of the offending character."""

    def __init__(self, position: int, message: str):
        super().__init__(f"position {position}: {message}")
        self.position = position
        self.message = message


# -- the AST -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: float
    pos: int


@dataclass(frozen=True)
class Name:
    id: str
    pos: int


@dataclass(frozen=True)
class Unary:
    op: str                 # '-' (a leading '+' is dropped by the parser)
    operand: "Node"
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str                 # one of BINARY_OPS
    left: "Node"
    right: "Node"
    pos: int                # the operator's position


@dataclass(frozen=True)
class Call:
    func: str               # a key of FUNCTIONS
    arg: "Node"
    pos: int


Node = Union[Num, Name, Unary, Binary, Call]


# -- tokens ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str               # number | name | op | end | error (a character outside the language)
    text: str
    pos: int


_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/(),])
""", re.VERBOSE)


def tokenize(text: str) -> list[Token]:
    """The tokens of `text`, ending in an `end` token, or in an `error` token at a character outside the language."""
    check_length(text)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:   # refused by the parser where it meets it, so errors come in the order of the text
            tokens.append(Token("error", text[i], i))
            break
        kind = m.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, m.group(), i))
        i = m.end()
    else:
        tokens.append(Token("end", "", len(text)))
    return tokens


def check_length(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise ParseError(MAX_LENGTH, f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,}")


def _describe_char(ch: str) -> str:
    if ch in "\"'":
        return f"{ch} (strings are not part of the language)"
    if ch == ".":
        return "'.' (no attribute access)"
    return repr(ch)


def _describe(tok: Token) -> str:
    if tok.kind == "end":
        return "end of the expression"
    if tok.kind == "error":
        return _describe_char(tok.text)
    if tok.kind == "name":
        return f"name '{tok.text}'"
    if tok.kind == "number":
        return f"number {tok.text}"
    return f"'{tok.text}'"


# -- the parser --------------------------------------------------------------------------------------

def parse(text: str) -> Node:
    """The AST of `text`; ParseError (with the position and what was expected) when outside the grammar."""
    tokens = tokenize(text)
    _check_nesting(tokens)
    if tokens[0].kind == "end":
        raise ParseError(0, f"the expression is empty; expected {_OPERAND}")
    return _Parser(tokens).parse()


def _check_nesting(tokens: list[Token]) -> None:
    """Refuse deep nesting before the parser recurses: parentheses, and runs of signs."""
    depth = signs = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(tok.pos, f"nested more than {MAX_DEPTH} parentheses deep")
        elif tok.text == ")":
            depth = max(depth - 1, 0)
        if tok.text in ("-", "+"):
            signs += 1
            if signs > MAX_DEPTH:
                raise ParseError(tok.pos, f"more than {MAX_DEPTH} signs in a row")
        else:
            signs = 0


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0
        self.operations = 0

    def count(self, pos: int) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise ParseError(pos, f"more than {MAX_OPERATIONS} operations; split the expression")

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def deeper(self) -> None:
        """Count one level of recursion; _check_nesting keeps this far from Python's limit."""
        self.depth += 1
        if self.depth > 4 * MAX_DEPTH:
            raise ParseError(self.tok.pos, f"nested more than {MAX_DEPTH} levels deep")

    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            what = "')'" if self.tok.text == ")" and self.depth == 0 else _describe(self.tok)
            raise ParseError(self.tok.pos, f"unexpected {what}; expected {_OPERATORS} or the end")
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.tok.text in ("+", "-"):
            op = self.advance()
            self.count(op.pos)
            node = Binary(op.text, node, self.term(), op.pos)
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.text in ("*", "/"):
            op = self.advance()
            self.count(op.pos)
            node = Binary(op.text, node, self.unary(), op.pos)
        return node

    def unary(self) -> Node:
        if self.tok.text in ("-", "+"):
            op = self.advance()
            self.deeper()
            if op.text == "-":
                self.count(op.pos)
            operand = self.unary()
            self.depth -= 1
            return Unary("-", operand, op.pos) if op.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.tok.text == "**":
            op = self.advance()
            self.deeper()
            self.count(op.pos)
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent, op.pos)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            value = float(tok.text)
            if not math.isfinite(value):
                raise ParseError(tok.pos, f"the number {tok.text} is too large")
            return Num(value, tok.pos)
        if tok.kind == "name":
            self.advance()
            if self.tok.text == "(":
                if tok.text not in FUNCTIONS:
                    raise ParseError(tok.pos, f"unknown function '{tok.text}'; the functions are "
                                              f"{', '.join(FUNCTIONS)}")
                self.advance()
                self.count(tok.pos)
                arg = self.group_body()
                return Call(tok.text, arg, tok.pos)
            if tok.text in FUNCTIONS:
                raise ParseError(self.tok.pos, f"expected '(' after the function {tok.text}")
            if tok.text.startswith("_"):
                raise ParseError(tok.pos, f"names start with a letter, not '_' ({tok.text})")
            return Name(tok.text, tok.pos)
        if tok.text == "(":
            self.advance()
            return self.group_body()
        raise ParseError(tok.pos, f"unexpected {_describe(tok)}; expected {_OPERAND}")

    def group_body(self) -> Node:
        """What follows an opening parenthesis: one expression and the closing ')'."""
        self.deeper()
        node = self.expr()
        self.depth -= 1
        if self.tok.text != ")":
            hint = " (functions take one argument)" if self.tok.text == "," else ""
            raise ParseError(self.tok.pos, f"unexpected {_describe(self.tok)}; expected {_OPERATORS} or ')'{hint}")
        self.advance()
        return node


# -- reading the AST -----------------------------------------------------------------------------------

def walk(node: Node):
    """Every node of the tree, each before its operands, left before right (iterative: the tree's
    depth never meets Python's recursion limit)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Unary):
            stack.append(n.operand)
        elif isinstance(n, Binary):
            stack.extend((n.right, n.left))
        elif isinstance(n, Call):
            stack.append(n.arg)


def names(node: Node) -> list[str]:
    """The variable names in `node`, in order of first appearance."""
    return list(dict.fromkeys(n.id for n in walk(node) if isinstance(n, Name)))


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "u": 3, "**": 4}


def to_text(node: Node) -> str:
    """The expression a node stands for, with only the parentheses it needs (for labels)."""
    return _text(node)[0]


def _text(node: Node) -> tuple[str, int]:
    if isinstance(node, Num):
        return format_number(node.value), 9
    if isinstance(node, Name):
        return node.id, 9
    if isinstance(node, Call):
        return f"{node.func}({to_text(node.arg)})", 9
    if isinstance(node, Unary):
        inner, p = _text(node.operand)
        return "-" + (inner if p >= _PRECEDENCE["u"] else f"({inner})"), _PRECEDENCE["u"]
    p = _PRECEDENCE[node.op]
    left, lp = _text(node.left)
    right, rp = _text(node.right)
    if node.op == "**":
        left = left if lp > p else f"({left})"
        right = right if rp >= _PRECEDENCE["u"] else f"({right})"
    else:
        left = left if lp >= p else f"({left})"
        right = right if rp > p else f"({right})"
    return f"{left} {node.op} {right}", p


def format_number(value: float) -> str:
    """A number as short as it reads: 3 not 3.0, 0.1 not 0.1000000001."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


# -- values: a number, or a small list or list of lists -------------------------------------------

Value = Union[float, list]


class BadValue(ParseError):
    """A value outside what a leaf may hold; `position` is 0-based in the text given."""


def parse_value(text: str) -> Value:
    """A leaf's value from text: a number, [numbers] or [[numbers], ...] (JSON syntax, read strictly)."""
    stripped = text.strip()
    if not stripped:
        raise BadValue(0, "empty; expected a number or a list of numbers like [1, 2]")
    if len(stripped) > MAX_LENGTH:
        raise BadValue(MAX_LENGTH, f"the value is {len(stripped):,} characters long; at most {MAX_LENGTH:,}")
    start = text.index(stripped[0])

    def refuse(_: str) -> None:   # NaN, Infinity, -Infinity: JSON's extensions, not numbers a gradient can use
        raise BadValue(start, "NaN and Infinity are not allowed; expected finite numbers")

    depth = 0
    for k, ch in enumerate(stripped):   # before json recurses into them
        depth += {"[": 1, "]": -1}.get(ch, 0)
        if depth > MAX_VALUE_DIMS:
            raise BadValue(start + k, f"lists nest at most {MAX_VALUE_DIMS} deep (a matrix)")
    try:   # integers as floats: a 900-digit integer is then inf (refused), not an OverflowError
        raw = json.loads(stripped, parse_constant=refuse, parse_int=float)
    except json.JSONDecodeError as exc:
        raise BadValue(start + exc.pos, f"{exc.msg.lower()}; expected a number or a list of numbers "
                                           "like [1, 2]") from None
    return check_value(raw, start)


def check_value(raw: object, position: int = 0) -> Value:
    """`raw` as floats: a finite number, or a rectangular list (at most MAX_VALUE_DIMS deep, MAX_ELEMENTS)."""
    def walk(item: object, depth: int) -> Value:
        if isinstance(item, bool) or not isinstance(item, (int, float, list)):
            raise BadValue(position, f"{type(item).__name__} {json.dumps(item)[:20]} is not a number")
        if isinstance(item, list):
            if depth >= MAX_VALUE_DIMS:
                raise BadValue(position, f"lists nest at most {MAX_VALUE_DIMS} deep (a matrix)")
            if not item:
                raise BadValue(position, "an empty list; expected at least one number")
            return [walk(x, depth + 1) for x in item]
        value = float(item)
        if not math.isfinite(value):
            raise BadValue(position, f"{item} is too large")
        return value

    value = walk(raw, 0)
    shape = _shape(value, position)
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise BadValue(position, f"{count} numbers; at most {MAX_ELEMENTS} per value")
    return value


def _shape(value: Value, position: int) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    shapes = {_shape(v, position) for v in value}
    if len(shapes) != 1:
        raise BadValue(position, "the rows have different lengths; a value must be rectangular")
    return (len(value), *shapes.pop())


_BINDING = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*=")


def parse_bindings(text: str) -> dict[str, Value]:
    """`w=2,x=[1,2]` -> {'w': 2.0, 'x': [1.0, 2.0]}: top-level commas separate, lists keep theirs."""
    out: dict[str, Value] = {}
    i = 0
    while i <= len(text):
        m = _BINDING.match(text, i)
        if m is None:
            raise BadValue(i, "expected NAME=VALUE (a name starts with a letter)")
        name = m.group(1)
        if name in out:
            raise BadValue(m.start(1), f"{name} is given twice")
        j, depth = m.end(), 0
        while j < len(text) and not (text[j] == "," and depth == 0):
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
        try:
            out[name] = parse_value(text[m.end():j])
        except BadValue as exc:
            raise BadValue(m.end() + exc.position, f"{name}: {exc.message}") from None
        i = j + 1
        if j >= len(text):
            break
    return out


__all__ = ["walk", "FUNCTIONS", "MAX_DEPTH", "MAX_ELEMENTS", "MAX_LENGTH", "MAX_OPERATIONS", "Binary", "Call", "Name", "Node", "Num",
           "ParseError", "Token", "Unary", "Value", "BadValue", "check_value", "format_number", "names",
           "parse", "parse_bindings", "parse_value", "to_text", "tokenize"]
