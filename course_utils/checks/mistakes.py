"""The registry of known mistakes: which wrong optimizers `check_optimizer` knows, per reference.

A known mistake is data, a `Mistake`: the name of the wrong optimizer ("AdamEpsInsideSqrt"), a
short label, the hint a student sees first (the concept: which quantity is wrong, where to look),
the knobs it turns, and the detailed hint (the formula) the checker adds only after repeated
failures of the same check (`course_utils.checks.core.DETAIL_AFTER`). A knob is a class attribute of
the course's implementation of the reference (`course_utils.optim.Adam.eps_rule`, ...) whose
default is the reference's rule, so the update rule is written once and each mistake differs
from it in one place. `make_mutant` builds the wrong optimizer: a subclass of the implementation
with those class attributes set, marked with the `Mutant` mixin.

Registering a reference (a ``torch.optim`` class, or any optimizer class the checker compares
against)::

    from course_utils.checks.mistakes import Mistake, register

    register(
        torch.optim.NAdam,                    # the reference check_optimizer runs
        NAdam,                                # the course class that implements it, with knobs
        [Mistake("NAdamNoMomentumDecay", "no momentum decay",
                 "the momentum coefficient should change with t: look at momentum_decay",
                 {"momentum_decay_rule": "ignored"},
                 detail="NAdam's mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay)) ...")],
        [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.1}],   # configurations that expose them
    )

After that, ``check_optimizer(Student, torch.optim.NAdam)`` runs those configurations and names
the mistakes, ``check_optimizer(Student, NAdam)`` does too (the implementation is an alias of its
reference), and `KNOWN_MISTAKES`, `DEFAULT_CONFIGS`, `known_mistakes` and `default_configs` list
them. The mistakes are tried in the order given: put a mistake before the ones that would
otherwise claim its path. `classic_mistakes` registers SGD, Adagrad, RMSProp, Adam and AdamW.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

__all__ = [
    "DEFAULT_CONFIGS",
    "KNOWN_MISTAKES",
    "Mistake",
    "Mutant",
    "default_configs",
    "implementation_of",
    "known_mistakes",
    "make_mutant",
    "register",
    "torch_reference",
]


@dataclass(frozen=True)
class Mistake:
    """One known mistake in an implementation of a reference optimizer.

    ``name`` is the class name of the wrong optimizer (e.g. "AdamEpsInsideSqrt"), ``mistake`` a
    short label ("eps inside the square root"), ``hint`` the concept the student should look at,
    without the answer (shown on the first wrong try), ``knobs`` the class attributes of the
    implementation that are turned (e.g. ``{"eps_rule": "inside_sqrt"}``), ``detail`` what the
    reference does, often the formula (shown only after repeated failures).
    """

    name: str
    mistake: str
    hint: str
    knobs: Mapping[str, Any]
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"Mistake.name must be a class name, got {self.name!r}")
        if not self.mistake or not self.hint:
            raise ValueError(f"Mistake {self.name!r} needs a short label and a hint")
        if not self.knobs:
            raise ValueError(f"Mistake {self.name!r} turns no knob: it would equal the reference")
        object.__setattr__(self, "knobs", MappingProxyType(dict(self.knobs)))


class Mutant:
    """Marker mixin of a deliberately wrong optimizer (built by `make_mutant`).

    ``hint`` names the concept for the student, ``detail`` the formula (shown after repeated
    failures), ``mistake`` is its short label and ``knobs`` the class attributes turned away from
    the reference's rule.
    """

    hint: ClassVar[str] = ""
    detail: ClassVar[str] = ""
    mistake: ClassVar[str] = ""
    knobs: ClassVar[Mapping[str, Any]] = MappingProxyType({})


def _knob_choices(implementation: type, name: str) -> tuple[Any, ...] | None:
    """The values a knob's ``ClassVar[Literal[...]]`` annotation allows (None: not a Literal or
    not resolvable)."""
    try:
        hints = typing.get_type_hints(implementation)
    except Exception:  # noqa: BLE001  (an annotation that cannot be resolved: no check)
        return None
    hint = hints.get(name)
    if typing.get_origin(hint) is ClassVar:
        hint = typing.get_args(hint)[0] if typing.get_args(hint) else None
    if typing.get_origin(hint) is typing.Literal:
        return typing.get_args(hint)
    return None


def make_mutant(implementation: type, mistake: Mistake) -> type:
    """The wrong optimizer of ``mistake``: ``class <name>(implementation, Mutant)`` with the
    mistake's knobs as class attributes.

    Raises ``ValueError`` when a knob is not a class attribute of ``implementation``, when its
    value is the implementation's own (the mutant would not be wrong), or when it is outside the
    values the knob's ``Literal`` annotation lists.
    """
    for knob, value in mistake.knobs.items():
        if not hasattr(implementation, knob):
            raise ValueError(f"{mistake.name}: {implementation.__name__} has no knob {knob!r}")
        if getattr(implementation, knob) == value:
            raise ValueError(f"{mistake.name}: {knob} = {value!r} is already {implementation.__name__}'s rule")
        choices = _knob_choices(implementation, knob)
        if choices is not None and value not in choices:
            raise ValueError(f"{mistake.name}: {knob} must be one of {choices}, got {value!r}")
    attrs = {
        **mistake.knobs,
        "hint": mistake.hint,
        "detail": mistake.detail,
        "mistake": mistake.mistake,
        "knobs": mistake.knobs,
        "__doc__": f"{implementation.__name__} with one mistake: {mistake.mistake}.",
        "__module__": __name__,
        "__qualname__": mistake.name,
    }
    return type(mistake.name, (implementation, Mutant), attrs)


_IMPLEMENTATIONS: dict[Any, type] = {}  # a reference -> the course class that implements it
_ALIASES: dict[Any, Any] = {}  # a course class -> the reference it implements

KNOWN_MISTAKES: dict[Any, list[type]] = {}
"""reference -> the wrong optimizers `check_optimizer` tries when a student's path differs."""

DEFAULT_CONFIGS: dict[Any, list[dict[str, Any]]] = {}
"""reference -> configurations run by default: each exposes at least one registered mistake."""


def register(
    reference: Any,
    implementation: type,
    mistakes: Iterable[Mistake],
    configs: Sequence[Mapping[str, Any]],
    *,
    aliases: Iterable[type] = (),
) -> list[type]:
    """Register ``reference`` (the class `check_optimizer` compares against), ``implementation``
    (the course class that implements it, with knobs), its known ``mistakes`` (tried in this
    order) and the default ``configs`` that expose them. ``implementation`` and every class in ``aliases``
    (e.g. ``GD`` for ``torch.optim.SGD``) then stand for ``reference`` too. Returns the mutants.

    Raises ``ValueError`` if ``reference`` is already registered, a mistake's name is used
    twice, or a mistake's knobs do not fit ``implementation`` (see `make_mutant`).
    """
    if reference in _IMPLEMENTATIONS:
        raise ValueError(f"{getattr(reference, '__name__', reference)} is already registered")
    mistakes = tuple(mistakes)
    taken = {m.__name__ for ms in KNOWN_MISTAKES.values() for m in ms}
    names = [m.name for m in mistakes]
    clash = sorted({n for n in names if names.count(n) > 1} | (set(names) & taken))
    if clash:
        raise ValueError(f"mistake name(s) used twice: {', '.join(clash)}")
    if not configs:
        raise ValueError(f"{getattr(reference, '__name__', reference)} needs at least one configuration")
    mutants = [make_mutant(implementation, m) for m in mistakes]
    _IMPLEMENTATIONS[reference] = implementation
    for alias in (implementation, *aliases):
        if alias is not reference:
            _ALIASES[alias] = reference
    KNOWN_MISTAKES[reference] = mutants
    DEFAULT_CONFIGS[reference] = [dict(c) for c in configs]
    return list(mutants)


def torch_reference(reference: Any) -> Any:
    """The registered reference behind ``reference`` (a course class maps to the torch class it
    implements; anything else maps to itself)."""
    return _ALIASES.get(reference, reference)


def implementation_of(reference: Any) -> type | None:
    """The course class (with knobs) that implements ``reference``; None if it is not registered."""
    return _IMPLEMENTATIONS.get(torch_reference(reference))


def known_mistakes(reference: Any) -> list[type]:
    """The registered wrong optimizers of ``reference`` (empty for an unknown reference)."""
    return list(KNOWN_MISTAKES.get(torch_reference(reference), []))


def default_configs(reference: Any) -> list[dict[str, Any]]:
    """The default configurations for ``reference`` (``[{"lr": 0.01}]`` for an unknown one)."""
    return [dict(c) for c in DEFAULT_CONFIGS.get(torch_reference(reference), [{"lr": 0.01}])]
