"""The resume file: read it, check it against frontend/resume.schema.json, and explain every problem, each on one
line naming the file and the field's JSON path (`resume.json: work[1].startDate: ...`), so the owner fixes them all
in one go. frontend/build.py renders only what passed these checks.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

# jsonschema ships no type hints; "unused-ignore" keeps this line clean if stubs or a
# mypy override for it are added to the project later.
import jsonschema  # type: ignore[import-untyped, unused-ignore]

SCHEMA_PATH = Path(__file__).resolve().parent / "resume.schema.json"
SECTIONS_WITH_DATE_RANGES = ("work", "education", "projects")
FORMAT_PROBLEMS = {
    "partial-date": "is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)",
    "uri": "is not an absolute http(s) URL",
    "email": "is not a valid email address",
}
"""What a value of each format that fails its pattern (or, for dates, the calendar) is told."""
JSON_TYPES = ("null", "boolean", "number", "string", "array", "object")
"""The names a problem gives a value's type: JSON Schema's, without "integer", so 42 and 4.5 are both a number."""

Json = Any  # parsed JSON: the schema, not the type system, guarantees its shape


class ResumeError(ValueError):
    """The resume file is missing, unreadable or invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


def load_resume(resume_path: Path) -> dict[str, Json]:
    """Read and validate a resume; raise ResumeError listing every problem."""
    source = resume_path.name
    try:
        text = resume_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResumeError([f"{source}: file not found ({resume_path})"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResumeError([f"{source}: cannot read file: {exc}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResumeError([f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    problems = validate_resume(data)
    if problems:
        raise ResumeError([f"{source}: {problem}" for problem in problems])
    return dict(data)


def validate_resume(data: Json) -> list[str]:
    """Return 'path: what is wrong' lines, empty when the resume is valid."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    # Two errors' paths differ first inside one object (both keys) or one array (both indexes), so they compare.
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    # A bad date trips both "pattern" and "format"; report it once.
    problems = list(dict.fromkeys(_describe(error) for error in errors))
    if problems:
        # Ordering checks assume well-typed dates, which only a valid document promises.
        return problems
    return list(_date_order_problems(data))


def _is_partial_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the "type" keyword reports non-strings
    parts = value.split("-")
    padded = parts + ["01"] * (3 - len(parts))
    try:
        datetime.date(*(int(part) for part in padded))
    except (TypeError, ValueError):
        return False
    return True


# The schema's patterns check emails, URLs and a date's shape (editors check them too); only "is this day in the
# calendar" needs code. No other format is checked.
FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
FORMAT_CHECKER.checks("partial-date")(_is_partial_date)


def _describe(error: Any) -> str:
    path = error.json_path.removeprefix("$").removeprefix(".")
    if error.validator == "required":
        missing = next(name for name in error.validator_value if name not in error.instance)
        return f"{path}.{missing}: is required" if path else f"{missing}: is required"
    return f"{path}: {_explain(error)}" if path else _explain(error)


def _explain(error: Any) -> str:
    value = error.instance
    if error.validator == "type":
        expected = [error.validator_value] if isinstance(error.validator_value, str) else error.validator_value
        actual = next(name for name in JSON_TYPES if jsonschema.Draft202012Validator.TYPE_CHECKER.is_type(value, name))
        return f"expected {' or '.join(map(_with_article, expected))}, got {actual} ({_preview(value)})"
    if error.validator in ("pattern", "format") and error.schema.get("format") in FORMAT_PROBLEMS:
        return f"{_preview(value)} {FORMAT_PROBLEMS[error.schema['format']]}"
    if error.validator == "minLength" and error.validator_value == 1:
        return "must not be empty"
    return str(error.message)


def _with_article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def _preview(value: object, limit: int = 40) -> str:
    if isinstance(value, dict | list):
        return "{...}" if isinstance(value, dict) else "[...]"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _date_order_problems(data: Mapping[str, Json]) -> Iterator[str]:
    for section in SECTIONS_WITH_DATE_RANGES:
        for index, entry in enumerate(data.get(section) or []):
            start, end = entry.get("startDate"), entry.get("endDate")
            if start and end and _date_before(end, start):
                yield f"{section}[{index}].endDate: {end!r} is before startDate {start!r}"


def _date_before(earlier: str, later: str) -> bool:
    # Compare at the coarser precision: "2020" is not before "2020-05".
    precision = min(len(earlier), len(later))
    return earlier[:precision] < later[:precision]
