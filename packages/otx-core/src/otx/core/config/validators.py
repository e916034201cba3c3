"""Range checks on config fields, run by attrs whenever a config object is built (CLI, Python API, replay).

An error names the field; :func:`~otx.core.config.structure.structure` adds its section (``data.batch_size``).
"""

import math
import re
from collections.abc import Callable, Collection
from datetime import timedelta
from typing import Any

import attrs

from otx.core.errors import ConfigError

__all__ = ["InvalidValueError", "at_least", "duration", "each", "finite_above", "fraction", "one_of", "parse_duration"]

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


class InvalidValueError(ConfigError):
    """A config field holds a value outside its range; ``key`` is the field's (dotted) name."""

    def __init__(self, key: str, requirement: str, value: Any) -> None:
        self.key, self.requirement, self.value = key, requirement, value
        super().__init__(f"'{key}' must be {requirement}, got {value!r}")

    def within(self, section: str) -> "InvalidValueError":
        """The same error with the field named inside ``section`` (``batch_size`` -> ``data.batch_size``)."""
        return InvalidValueError(f"{section}.{self.key}" if section else self.key, self.requirement, self.value)


def _check(test: Callable[[Any], bool], requirement: str) -> Validator:
    def validate(instance: Any, attribute: "attrs.Attribute[Any]", value: Any) -> None:
        if not test(value):
            raise InvalidValueError(attribute.name, requirement, value)

    return validate


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def at_least(minimum: int, allow: Collection[Any] = ()) -> Validator:
    """An int ``>= minimum`` (or one of the special values ``allow``, such as ``"auto"`` or ``None``)."""
    named = "".join(f" or {v!r}" for v in allow)
    return _check(lambda v: v in allow or (_number(v) and v >= minimum), f">= {minimum}{named}")


def finite_above(minimum: float, inclusive: bool = False, allow_none: bool = False) -> Validator:
    """A finite number ``> minimum`` (``>=`` with ``inclusive``), or ``None`` with ``allow_none``."""
    sign = ">=" if inclusive else ">"
    return _check(
        lambda v: (allow_none and v is None) or (_number(v) and (v >= minimum if inclusive else v > minimum)),
        f"a finite number {sign} {minimum:g}" + (" or null" if allow_none else ""),
    )


def fraction(low_open: bool = True, high_open: bool = True) -> Validator:
    """A number between 0 and 1, each end excluded where open."""
    low, high = ("(" if low_open else "["), (")" if high_open else "]")
    return _check(
        lambda v: _number(v) and (v > 0 if low_open else v >= 0) and (v < 1 if high_open else v <= 1),
        f"in {low}0, 1{high}",
    )


_DURATION = re.compile(r"(?:(\d+):)?(\d+):([0-5]?\d):([0-5]?\d)")


def parse_duration(text: str) -> timedelta | None:
    """``[DD:]HH:MM:SS`` as a time span; ``None`` where ``text`` is not one."""
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def duration() -> Validator:
    """A positive time span ``[DD:]HH:MM:SS`` (e.g. ``00:10:00``), or ``None``."""
    return _check(
        lambda v: v is None or bool(parse_duration(v)), "a duration [DD:]HH:MM:SS above zero (e.g. 00:10:00) or null"
    )


def one_of(choices: Collection[str]) -> Validator:
    """One of ``choices``."""
    return _check(lambda v: v in choices, f"one of {', '.join(choices)}")


def each(validator: Validator) -> Validator:
    """``validator`` applied to each element of a tuple, naming the element (``input_size[1]``)."""

    def validate(instance: Any, attribute: "attrs.Attribute[Any]", value: Any) -> None:
        for index, element in enumerate(value):
            try:
                validator(instance, attribute, element)
            except InvalidValueError as exc:
                raise InvalidValueError(f"{attribute.name}[{index}]", exc.requirement, element) from None

    return validate
