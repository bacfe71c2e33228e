"""Every ERROR and WARNING the app can log has an entry in the troubleshooting page, found by its stable start.

The messages are read from the code (ast): calls to a logbook (`logbook(message, level)`, `logbook.once(key,
message, level)`, which says WARNING unless told), AppDaemon's `log(message, level=...)` and the logbook's own
`_write(message, level)`, at a level that can be ERROR or WARNING. A message is known by its stable start: its
literal text from the first words (what follows a charger's name or an error), up to where it says which message
it is; the text a placeholder stands for may come between its parts. An entry quotes that start in a code span,
with anything (`<charger>`, `<id>`) where the placeholders are.

Some messages are made elsewhere and only logged here (a charger's `problem`, a start's `note`, a configuration
warning): `RELAYED` names where their words are made, and every sentence made there counts as a message.
"""

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "apps" / "ampeco_ev_charger"
PAGE = REPO / "docs" / "guide" / "troubleshooting.md"
LEVELS = {"ERROR", "WARNING"}
DISTINCT = 24  # characters of literal text that say which message it is
CLAUSE = 12  # characters of literal text after which the end of a clause ends the stable start
CLAUSE_END = re.compile(r"[,;(]|\. |:")
SHORTEST = 6  # less than this ("(on", ": ") says nothing: the message's words are made elsewhere
# Where a message's words are made, for the messages that are logged where they are not written: where it is
# logged (file, function) -> where its words are made (file, function).
RELAYED: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    ("app.py", "AmpecoEvCharger.initialize"): (("validate.py", "unknown_keys"),),
    ("runtime/account.py", "Account._take"): (("runtime/charger.py", "Charger._missing_evse"),),
    ("runtime/account.py", "Account._missing"): (("runtime/account.py", "Account._reading"),),
    ("runtime/credential_watch.py", "CredentialWatch.expiring"): (
        ("runtime/credentials.py", "Credentials.problem"),
        # what the problem is once the refresh grant was refused (`refused`)
        ("runtime/credentials.py", "Credentials._refresh"),
        ("runtime/credentials.py", "Credentials._renew_with"),
        ("runtime/credentials.py", "Credentials.restore"),
    ),
    ("runtime/execute.py", "Executor._stop_stray"): (("runtime/execute.py", "Executor._stop_stray"),),
    ("runtime/memory_file.py", "MemoryFile.recall"): (("runtime/store.py", "Store._read"),),
    ("runtime/session_book.py", "SessionBook._trouble"): (("runtime/session_log.py", "SessionLog._problem"),),
    ("runtime/memory_file.py", "MemoryFile.save"): (("runtime/memory_file.py", "MemoryFile.save"),),
}
FILES = sorted(str(path.relative_to(APP)) for path in APP.rglob("*.py"))
CODE_BLOCK = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)


@dataclass(frozen=True)
class Message:
    where: str  # file:line of the call that logs it
    level: str
    start: tuple[str, ...]  # the literal parts of its stable start, in order

    def __str__(self) -> str:
        return " … ".join(self.start)


@dataclass(frozen=True)
class Call:
    """A call that logs at ERROR or WARNING: where, in which function, and its message's expression."""

    file: str
    line: int
    function: str
    level: str
    message: ast.expr


def _name(node: ast.expr) -> str:
    """The last name of `self.account.logbook`."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _argument(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _logged(call: ast.Call) -> tuple[ast.expr, str] | None:
    """The message of a logging call and the levels of LEVELS it can log at ("ERROR/WARNING", "" for none), else
    None. A level chosen at run time (`"ERROR" if locked else "WARNING"`) can be either."""
    func = call.func
    attr = _name(func)
    if attr == "once" and isinstance(func, ast.Attribute) and _name(func.value) == "logbook":
        message, level, default = _argument(call, 1, "message"), _argument(call, 2, "level"), "WARNING"
    elif attr in ("logbook", "log", "_write"):
        message, level, default = _argument(call, 0, "message"), _argument(call, 1, "level"), "INFO"
    else:
        return None
    if message is None:
        return None
    if level is None:
        return message, default if default in LEVELS else ""
    said = [n.value for n in ast.walk(level) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return message, "/".join(sorted(set(said) & LEVELS))


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method of a module by its qualified name (`Class.method`)."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[f"{prefix}{child.name}"] = child
                visit(child, f"{prefix}{child.name}.")

    visit(tree, "")
    return found


@functools.cache
def _parse(file: str) -> ast.Module:
    return ast.parse((APP / file).read_text(encoding="utf-8"))


def calls() -> list[Call]:
    found = [
        Call(file, call.lineno, function, logged[1], logged[0])
        for file in FILES
        for function, node in _functions(_parse(file)).items()
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and (logged := _logged(call)) is not None and logged[1]
    ]
    # a call inside a nested function is found in both: keep the innermost
    innermost = {(c.file, c.line): c for c in sorted(found, key=lambda c: len(c.function))}
    return sorted(innermost.values(), key=lambda c: (c.file, c.line))


def _parts(node: ast.expr) -> list[str | None]:
    """A text's literal parts, None for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else None for v in node.values]
    return [None]


def stable_start(node: ast.expr) -> tuple[str, ...]:
    """The literal parts from the first words on, up to the end of the first clause (`,` `;` `(` `. ` or after
    `:`) once there are CLAUSE characters, or until there are DISTINCT; () when the literal text says nothing on
    its own (the words are made elsewhere)."""
    pieces: list[str] = []
    for part in _parts(node):
        piece = " ".join((part or "").split()).lstrip(":;,.) ")
        if not re.search(r"[A-Za-z]", piece):  # a placeholder, or only punctuation between two
            continue
        before = sum(map(len, pieces))
        for clause in CLAUSE_END.finditer(piece):
            if before + clause.start() >= CLAUSE:
                pieces.append(piece[: clause.end() if clause.group() == ":" else clause.start()].rstrip())
                return tuple(pieces)
        pieces.append(piece)
        if before + len(piece) >= DISTINCT:
            break
    return tuple(pieces) if sum(map(len, pieces)) >= SHORTEST else ()


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _assigned(node: ast.AST) -> tuple[list[ast.expr], ast.expr | None]:
    if isinstance(node, ast.Assign):
        return node.targets, node.value
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)):
        return [node.target], node.value
    return [], None


def sentences(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.expr]:
    """The texts a function makes as whole messages: not its docstring, not a message it logs itself (found where
    it is logged), not a part of another text, and not a fragment kept in a name that another of its texts puts
    in a placeholder (`when`, `hint`)."""
    logged = {id(found[0]) for n in ast.walk(function) if isinstance(n, ast.Call) and (found := _logged(n))}
    texts = [n for n in ast.walk(function) if _is_text(n) and id(n) not in logged]
    placeholders = {
        name.id
        for text in texts
        if isinstance(text, ast.JoinedStr)
        for value in text.values
        for name in ast.walk(value)
        if isinstance(name, ast.Name)
    }
    skip = {id(function.body[0].value)} if isinstance(function.body[0], ast.Expr) else set()
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr):
            skip |= {id(n) for value in node.values for n in ast.walk(value)}
        targets, value = _assigned(node)
        if value is not None and any(isinstance(t, ast.Name) and t.id in placeholders for t in targets):
            skip |= {id(n) for n in ast.walk(value)}
    return [text for text in texts if id(text) not in skip and " " in "".join(filter(None, _parts(text)))]


def _messages(call: Call) -> list[Message]:
    """The message a call logs, or those made where RELAYED says its words are made."""
    where = f"{call.file}:{call.line}"
    if start := stable_start(call.message):
        return [Message(where, call.level, start)]
    return [
        Message(f"{where} (made at {file}:{node.lineno})", call.level, made)
        for file, name in RELAYED.get((call.file, call.function), ())
        for node in sentences(_functions(_parse(file))[name])
        if (made := stable_start(node))
    ]


def relayed_calls() -> set[tuple[str, str]]:
    return {(c.file, c.function) for c in calls() if not stable_start(c.message)}


def quoted(page: str) -> list[str]:
    """The page's code spans, each on one line."""
    return [" ".join(span.split()) for _, span in SPAN.findall(CODE_BLOCK.sub("", page))]


MESSAGES = [message for call in calls() for message in _messages(call)]
SPANS = quoted(PAGE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("message", MESSAGES, ids=[f"{m.where} {m}" for m in MESSAGES])
def test_every_error_and_warning_has_a_troubleshooting_entry(message: Message):
    pattern = re.compile(".*?".join(map(re.escape, message.start)))
    assert any(pattern.search(span) for span in SPANS), (
        f"{message.where} logs a {message.level} starting `{message}`, which docs/guide/troubleshooting.md does "
        "not quote: add an entry (symptom, cause, fix) that quotes it in a code span"
    )


def test_every_message_made_elsewhere_is_followed_to_where_it_is_made():
    """A message whose words the logging call does not show must be named in RELAYED, and RELAYED must name
    only such calls, and functions that make at least one message."""
    relayed = relayed_calls()
    assert relayed == set(RELAYED), (
        f"not followed: {sorted(relayed - set(RELAYED))}; no longer logged there: {sorted(set(RELAYED) - relayed)}"
    )
    for sources in RELAYED.values():
        for file, name in sources:
            assert any(map(stable_start, sentences(_functions(_parse(file))[name]))), f"{file} {name} makes no message"


def test_the_finder_reads_levels_defaults_and_stable_starts():
    """The finder itself: `once` says WARNING unless told, INFO and DEBUG are left, a level chosen at run time
    counts, and a message is known by its words, not by the charger's name before them."""
    sample = ast.parse(
        "def f(self, logbook, err, ok):\n"
        "    self.logbook.once('key', f'{self.label}: cannot read the cloud ({err}); retrying')\n"
        "    self.logbook(f'{self.label}: session {err} on {ok}, left by us, was stopped', 'WARNING')\n"
        "    logbook('found again')\n"
        "    logbook(f'request {err}', 'DEBUG')\n"
        "    self.log(f'{err}. The app is not started', level='ERROR' if ok else 'WARNING')\n"
        "    self.logbook(f'{self.label}: {self.problem}', 'ERROR')\n"
    )
    statements = sample.body[0].body
    logged = [_logged(statement.value) for statement in statements]
    assert [(level, stable_start(message)) for message, level in filter(None, logged) if level] == [
        ("WARNING", ("cannot read the cloud",)),
        ("WARNING", ("session", "on", "left by us")),
        ("ERROR/WARNING", ("The app is not started",)),
        ("ERROR", ()),
    ]


def test_the_follower_takes_whole_sentences_not_fragments_docstrings_or_logged_lines():
    (function,) = ast.parse(
        "def problem(self):\n"
        '    """Why the user should look, in a sentence."""\n'
        "    when = f'in {self.days} day(s)' if self.days else 'already'\n"
        "    self.logbook(f'the token was looked at {when}', 'WARNING')\n"
        "    return f'the token ends {when}; put a new one in secrets.yaml'\n"
    ).body
    assert [stable_start(text) for text in sentences(function)] == [("the token ends", "put a new one in secrets.yaml")]
