"""The verdict framework: `CheckResult` (PASS, FAIL, NOT IMPLEMENTED YET, ERROR), the guard that
turns a stub or a crash in a student's code into a verdict, and `check_value` for numeric answers."""

from __future__ import annotations

import dis
import html
import math
import textwrap
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PASS",
    "FAIL",
    "TODO",
    "ERROR",
    "DETAIL_AFTER",
    "CheckResult",
    "check_value",
    "fmt",
    "guard",
    "reset_attempts",
    "stubs_of",
]

PASS, FAIL, TODO, ERROR = "PASS", "FAIL", "NOT IMPLEMENTED YET", "ERROR"

WIDTH = 88  # the plain-text verdict is wrapped at word boundaries to this many columns
DETAIL_AFTER = 3  # the detailed hint (the formula) is shown from this failed try of a check on
_ATTEMPTS: dict[str, int] = {}  # check title -> failed tries in a row, in this kernel

_KEEP, _KEPT = "not implemented yet", "not\x00implemented\x00yet"  # never split across lines
_MARK = {PASS: "PASS", FAIL: "FAIL", TODO: "TODO", ERROR: "ERROR"}
# (colour of the badge and the rule, translucent background): readable on light and dark themes
_COLOURS = {PASS: ("#2e7d32", "rgba(46,125,50,0.12)"), FAIL: ("#c62828", "rgba(198,40,40,0.12)"),
            TODO: ("#b26a00", "rgba(239,143,0,0.14)"), ERROR: ("#616161", "rgba(128,128,128,0.16)")}


def reset_attempts() -> None:
    """Forget every check's count of failed tries (as a kernel restart does)."""
    _ATTEMPTS.clear()


@dataclass
class CheckResult:
    """The verdict of a check. ``bool(result)`` is True only for a pass.

    ``hint`` names the concept (which quantity is wrong, where to look); ``detail`` is the
    detailed hint (often the formula), shown only from the `DETAIL_AFTER`-th failed try of the
    same check in a row (``attempt`` counts them; `guard` sets it).
    """

    status: str
    title: str
    message: str = ""
    hint: str = ""
    detail: str = ""
    attempt: int = 0

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def __bool__(self) -> bool:
        return self.passed

    def _parts(self) -> list[tuple[str, str]]:
        """(label, text) of each paragraph under the title line."""
        parts: list[tuple[str, str]] = []
        if self.status == TODO:
            parts.append(("", self.message or "not implemented yet: write your solution in the cell "
                          "above, run it, then run this cell."))
        elif self.message:
            parts.append(("", self.message))
        if self.hint:
            parts.append(("hint: ", self.hint))
        if self.detail and self.status in (FAIL, ERROR):
            if self.attempt >= DETAIL_AFTER:
                parts.append(("in detail: ", self.detail))
            elif self.attempt:
                left = DETAIL_AFTER - self.attempt
                parts.append(("", f"(try {self.attempt}: a more detailed hint after {left} more "
                              f"wrong {'try' if left == 1 else 'tries'})"))
        return parts

    def __repr__(self) -> str:
        lines = textwrap.wrap(f"[{_MARK[self.status]}] {self.title}", WIDTH, subsequent_indent="  ",
                              break_long_words=False, break_on_hyphens=False)
        for label, text in self._parts():
            lines += textwrap.wrap(text.replace(_KEEP, _KEPT), WIDTH, initial_indent="  " + label,
                                   subsequent_indent="  " + " " * len(label),
                                   break_long_words=False, break_on_hyphens=False)
        return "\n".join(lines).replace(_KEPT, _KEEP)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        colour, background = _COLOURS[self.status]
        rows = "".join(
            f'<div style="margin-top:0.25em">{f"<b>{html.escape(label.strip())}</b> " if label else ""}'
            f"{html.escape(text)}</div>" for label, text in self._parts())
        return (
            f'<div class="course-check course-check-{_MARK[self.status].lower()}" style="'
            f"border-left:6px solid {colour};background:{background};color:inherit;"
            "padding:0.45em 0.8em;margin:0.3em 0;border-radius:4px;line-height:1.45;"
            'white-space:normal;overflow-wrap:normal;word-break:normal;max-width:60em">'
            f'<span style="background:{colour};color:#fff;font-weight:bold;padding:0.05em 0.5em;'
            f'border-radius:3px;margin-right:0.5em">{_MARK[self.status]}</span>'
            f"<b>{html.escape(self.title)}</b>{rows}</div>"
        )


# --------------------------------------------------------------------------------------------
# What is still a stub
# --------------------------------------------------------------------------------------------
_STUB_OPS = {"RESUME", "NOP", "CACHE", "LOAD_GLOBAL", "LOAD_NAME", "LOAD_CONST", "PUSH_NULL",
             "PRECALL", "CALL", "KW_NAMES", "RAISE_VARARGS", "CALL_FUNCTION", "CALL_FUNCTION_KW"}
_LIBRARIES = ("course_utils", "torch", "builtins", "numpy", "abc", "typing")


def _is_stub(fn: Any) -> bool:
    """True when ``fn``'s body only raises NotImplementedError (the student edition's stub)."""
    code = getattr(getattr(fn, "__func__", fn), "__code__", None)
    if not isinstance(code, types.CodeType) or "NotImplementedError" not in code.co_names:
        return False
    return {i.opname for i in dis.get_instructions(code)} <= _STUB_OPS


def _own_functions(subject: Any) -> dict[str, Any]:
    """The functions a student wrote: ``subject`` itself, or the methods of a class (and of its
    student-written bases), in definition order."""
    if isinstance(subject, (types.FunctionType, types.MethodType)):
        return {subject.__name__: subject}
    if not isinstance(subject, type):
        return {}
    found: dict[str, Any] = {}
    for cls in reversed(subject.__mro__):
        if cls.__module__.split(".")[0] in _LIBRARIES:
            continue
        for name, member in vars(cls).items():
            fn = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            if isinstance(fn, types.FunctionType) and str(fn.__module__).split(".")[0] not in _LIBRARIES:
                found[f"{subject.__name__}.{name}"] = fn
    return found


def stubs_of(subject: Any) -> tuple[list[str], list[str]]:
    """(still stubs, written) among the functions a student wrote for ``subject`` (a function or
    a class): a stub's body only raises NotImplementedError."""
    own = _own_functions(subject)
    stubs = [name for name, fn in own.items() if _is_stub(fn)]
    return stubs, [name for name in own if name not in stubs]


def _raiser(exc: BaseException) -> tuple[str, Any]:
    """The name of the student's function that raised ``exc`` (``Class.method`` for a method) and
    the class or function it belongs to; ("", None) when a library raised it."""
    tb, caller = exc.__traceback__, None
    while tb is not None and tb.tb_next is not None:
        caller, tb = tb.tb_frame, tb.tb_next
    if tb is None:
        return "", None
    frame = tb.tb_frame
    if str(frame.f_globals.get("__name__", "")).split(".")[0] in _LIBRARIES:
        return "", None
    name = frame.f_code.co_name
    owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
    if owner is not None:
        cls = owner if isinstance(owner, type) else type(owner)
        return f"{cls.__name__}.{name}", cls
    for scope in (frame.f_globals, caller.f_locals if caller is not None else {}):
        fn = scope.get(name)
        if getattr(fn, "__code__", None) is frame.f_code:
            return name, fn
    return name, None


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _todo_message(exc: NotImplementedError, subject: Any) -> str:
    """What is still a stub, and whether the solution is not started or partly done."""
    name, owner = _raiser(exc)
    subject = subject if subject is not None else owner
    stubs, written = stubs_of(subject) if subject is not None else ([], [])
    if not stubs:
        if name:
            return (f"{name} raised NotImplementedError: it is not implemented yet; write it in the "
                    "cell above, run it, then run this cell.")
        return ""
    if written:
        return (f"partly done: {_join(written)} {'is' if len(written) == 1 else 'are'} written; "
                f"{_join(stubs)} {'is' if len(stubs) == 1 else 'are'} not implemented yet (still "
                f"raising NotImplementedError). Write {'it' if len(stubs) == 1 else 'them'} in the cell above, "
                "run it, then run this cell.")
    return (f"not started: {_join(stubs)} {'is' if len(stubs) == 1 else 'are'} not implemented yet "
            "(the stub raises NotImplementedError). Write your solution in the cell above, run it, "
            "then run this cell.")


def _where(exc: BaseException) -> str:
    """`` in f (line N of its cell)`` for the last frame of ``exc`` in a student's code."""
    tb, found = exc.__traceback__, ""
    while tb is not None:
        code = tb.tb_frame.f_code
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".")[0] not in _LIBRARIES and "site-packages" not in code.co_filename:
            where = "its cell" if "ipykernel" in code.co_filename else code.co_filename.rsplit("/", 1)[-1]
            found = f" in {code.co_name} (line {tb.tb_lineno} of {where})"
        tb = tb.tb_next
    return found


def guard(title: str, fn: Callable[[], CheckResult], subject: Any = None) -> CheckResult:
    """Run a check body; turn a stub or a crash in the student's code into a readable result.

    A stub's NotImplementedError becomes TODO naming what is still a stub (among ``subject``'s
    functions, a student's class or function, if given); any other exception becomes ERROR
    naming where it was raised. Failed tries of the same ``title`` are counted in a row (a pass
    resets the count); the result's ``attempt`` says which try this is.
    """
    try:
        result = fn()
    except NotImplementedError as exc:
        result = CheckResult(TODO, title, _todo_message(exc, subject))
    except Exception as exc:  # the student's code raised: report it, do not crash the notebook
        result = CheckResult(ERROR, title, f"your code raised {type(exc).__name__}{_where(exc)}: {exc}")
    if result.status == PASS:
        _ATTEMPTS.pop(title, None)
    elif result.status in (FAIL, ERROR):
        _ATTEMPTS[title] = _ATTEMPTS.get(title, 0) + 1
        result.attempt = _ATTEMPTS[title]
    return result


def fmt(x: float) -> str:
    return f"{x:.6g}"


# --------------------------------------------------------------------------------------------
# Scalar answers
# --------------------------------------------------------------------------------------------
def check_value(
    title: str, answer: Any, expected: float, *, rtol: float = 1e-3, atol: float = 0.0,
    hints: Sequence[tuple[float, str] | tuple[float, str, str]] = (), default_hint: str = "",
    default_detail: str = "",
) -> CheckResult:
    """Compare a numeric ``answer`` with ``expected``; ``hints`` map known wrong values to a hint
    (the concept), or to a hint and a detailed hint shown only after repeated failures;
    ``default_hint``/``default_detail`` are for any other wrong value. Never put the answer in
    ``default_hint``: it is shown on the first wrong try."""

    def body() -> CheckResult:
        if answer is None or answer is Ellipsis:
            raise NotImplementedError
        value = float(answer)
        if math.isclose(value, expected, rel_tol=rtol, abs_tol=atol):
            return CheckResult(PASS, title, f"{fmt(value)} is right.")
        for wrong, hint, *detail in hints:
            if math.isclose(value, wrong, rel_tol=rtol, abs_tol=atol):
                return CheckResult(FAIL, title, f"{fmt(value)} is not the answer.", hint,
                                   detail[0] if detail else "")
        return CheckResult(FAIL, title, f"{fmt(value)} is not the answer.", default_hint, default_detail)

    return guard(title, body)
