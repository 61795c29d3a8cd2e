"""Build the static resume site from a JSON Resume file.

Usage: python -m frontend.build [--resume PATH] [--out DIR] [--api-base-url URL]

The build validates the resume against frontend/resume.schema.json, renders
frontend/templates/index.html, copies frontend/static/ and, when asked, writes
config.json for the visit counter. It stages everything in a sibling temp dir
and swaps it in at the end, so a failed build never leaves a half-written dist.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

# jsonschema ships no type hints; "unused-ignore" keeps this line clean if stubs or a
# mypy override for it are added to the project later.
import jsonschema  # type: ignore[import-untyped, unused-ignore]

FRONTEND_DIR = Path(__file__).resolve().parent
DEFAULT_RESUME = FRONTEND_DIR / "resume.json"
DEFAULT_OUT = FRONTEND_DIR / "dist"
SCHEMA_PATH = FRONTEND_DIR / "resume.schema.json"
TEMPLATE_PATH = FRONTEND_DIR / "templates" / "index.html"
STATIC_DIR = FRONTEND_DIR / "static"
CONFIG_NAME = "config.json"

DATE_HINT = "(YYYY, YYYY-MM or YYYY-MM-DD)"
EN_DASH = "\u2013"  # typographic range/title separator, spelled out so no reader mistakes it for "-"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DESCRIPTION_LIMIT = 160
SECTIONS_WITH_DATE_RANGES = ("work", "education", "projects")
# Short sidebar sections stay out of the nav so it fits a phone without scrolling.
NAV_SLUGS = ("about", "experience", "projects", "skills", "education")

Json = Any  # parsed JSON: the schema, not the type system, guarantees its shape


class ResumeError(ValueError):
    """The resume file is missing, unreadable or does not match the schema.

    ``problems`` holds one human-readable line per problem, each starting with
    the file name and the JSON path of the offending field.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# --------------------------------------------------------------------------- loading


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
        where = f"line {exc.lineno} column {exc.colno}"
        raise ResumeError([f"{source}: not valid JSON at {where}: {exc.msg}"]) from None
    problems = validate_resume(data)
    if problems:
        raise ResumeError([f"{source}: {problem}" for problem in problems])
    return dict(data)


def validate_resume(data: Json) -> list[str]:
    """Return 'path: what is wrong' lines, empty when the resume is valid."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=_format_checker())
    errors = sorted(validator.iter_errors(data), key=lambda e: _sort_key(e.absolute_path))
    problems = _unique(_describe(error) for error in errors)
    if problems:
        # Ordering checks assume well-typed dates, which only a valid document promises.
        return problems
    return _unique(_date_order_problems(data))


def _format_checker() -> Any:
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("partial-date")(_is_partial_date)
    checker.checks("email")(_is_email)
    checker.checks("uri")(_is_http_url)
    return checker


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


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None


def _is_http_url(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _describe(error: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return _located(path + missing[:1], "is required")
    return _located(path, _explain(error))


def _explain(error: Any) -> str:
    value = error.instance
    if error.validator == "type":
        return f"expected {_json_type_name(error.validator_value)}, got {_json_type_of(value)} ({_preview(value)})"
    field_format = error.schema.get("format")
    if error.validator in ("pattern", "format") and field_format == "partial-date":
        return f"{_preview(value)} is not a valid date {DATE_HINT}"
    if error.validator in ("pattern", "format") and field_format == "uri":
        return f"{_preview(value)} is not an absolute http(s) URL"
    if error.validator == "format" and field_format == "email":
        return f"{_preview(value)} is not a valid email address"
    if error.validator == "minLength" and error.validator_value == 1:
        return "must not be empty"
    return str(error.message)


def _located(path: Sequence[str | int], message: str) -> str:
    json_path = _json_path(path)
    return f"{json_path}: {message}" if json_path else message


def _json_path(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _sort_key(path: Iterable[str | int]) -> tuple[tuple[int, int, str], ...]:
    # Array indexes sort numerically so work[10] follows work[9], not work[1].
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)


def _json_type_name(expected: str | list[str]) -> str:
    names = [expected] if isinstance(expected, str) else expected
    return " or ".join(f"an {name}" if name[0] in "aeiou" else f"a {name}" for name in names)


def _json_type_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


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


def _unique(lines: Iterable[str]) -> list[str]:
    # A bad date trips both "pattern" and "format"; report it once.
    return list(dict.fromkeys(lines))


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    body: str


def esc(value: object) -> str:
    """Escape text for HTML content and double-quoted attributes."""
    return html.escape(str(value), quote=True)


def render_page(resume: Mapping[str, Json]) -> str:
    """Render the whole page; every string from the resume passes through esc()."""
    basics = resume["basics"]
    primary = _present([_about(basics), _experience(resume), _projects(resume)])
    secondary = _present([_skills(resume), _education(resume), _certificates(resume), _languages(resume)])
    template = Template(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return template.substitute(
        title=esc(_page_title(basics)),
        description=esc(_page_description(basics)),
        nav=_nav([section for section in primary + secondary if section.slug in NAV_SLUGS]),
        masthead=_masthead(basics),
        primary=_join(_section_html(section) for section in primary),
        secondary=_join(_section_html(section) for section in secondary),
        footer=_footer(basics),
    )


def _present(sections: Iterable[Section | None]) -> list[Section]:
    return [section for section in sections if section is not None]


def _join(parts: Iterable[str]) -> str:
    return "\n".join(part for part in parts if part)


def _page_title(basics: Mapping[str, Json]) -> str:
    label = basics.get("label")
    return f"{basics['name']} {EN_DASH} {label}" if label else str(basics["name"])


def _page_description(basics: Mapping[str, Json]) -> str:
    summary = " ".join(str(basics.get("summary") or "").split())
    text = f"{_page_title(basics)}. {summary}".strip() if summary else f"Resume of {_page_title(basics)}."
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[: DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _nav(sections: Sequence[Section]) -> str:
    links = _join(f'<li><a href="#{s.slug}">{esc(s.title)}</a></li>' for s in sections)
    return f'<nav class="site-nav" aria-label="Sections">\n<ul>\n{links}\n</ul>\n</nav>'


def _section_html(section: Section) -> str:
    heading_id = f"{section.slug}-heading"
    return (
        f'<section id="{section.slug}" class="section section-{section.slug}" '
        f'aria-labelledby="{heading_id}">\n'
        f'<h2 id="{heading_id}">{esc(section.title)}</h2>\n{section.body}\n</section>'
    )


def _masthead(basics: Mapping[str, Json]) -> str:
    label = basics.get("label")
    return _join(
        [
            f"<h1>{esc(basics['name'])}</h1>",
            f'<p class="label">{esc(label)}</p>' if label else "",
            _contact_list(basics),
        ]
    )


def _contact_list(basics: Mapping[str, Json]) -> str:
    items = [f"<li>{item}</li>" for item in _contact_items(basics)]
    if not items:
        return ""
    return f'<ul class="contact" aria-label="Contact details">\n{_join(items)}\n</ul>'


def _contact_items(basics: Mapping[str, Json]) -> Iterator[str]:
    location = _location_text(basics.get("location") or {})
    if location:
        yield f'<span class="contact-location">{esc(location)}</span>'
    if basics.get("email"):
        email = basics["email"]
        yield _link(f"mailto:{email}", esc(email))
    phone_digits = re.sub(r"[^0-9+]", "", str(basics.get("phone") or ""))
    if phone_digits:
        yield _link(f"tel:{phone_digits}", esc(basics["phone"]))
    if basics.get("url"):
        yield _link(basics["url"], esc(_display_url(basics["url"])))
    for profile in basics.get("profiles") or []:
        item = _profile_link(profile)
        if item:
            yield item


def _location_text(location: Mapping[str, Json]) -> str:
    parts = (location.get(key) for key in ("city", "region", "countryCode"))
    return ", ".join(str(part) for part in parts if part)


def _profile_link(profile: Mapping[str, Json]) -> str:
    network, username, url = (profile.get(key) for key in ("network", "username", "url"))
    text = username or (_display_url(url) if url else "")
    if not text:
        return ""
    label = f'<span class="contact-network">{esc(network)}</span> ' if network else ""
    content = f"{label}{esc(text)}"
    return _link(url, content, rel="me") if url else f"<span>{content}</span>"


def _display_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".removeprefix("www.").rstrip("/")


def _link(href: str, content_html: str, rel: str = "") -> str:
    safe = _safe_href(href)
    if safe is None:
        return f"<span>{content_html}</span>"
    rel_attr = f' rel="{esc(rel)}"' if rel else ""
    return f'<a href="{esc(safe)}"{rel_attr}>{content_html}</a>'


def _safe_href(href: str) -> str | None:
    # The schema already demands http(s); this guards render_page callers that skip it.
    scheme = urlsplit(href).scheme.lower()
    return href if scheme in ("http", "https", "mailto", "tel") else None


def _paragraphs(text: str, css_class: str = "") -> str:
    class_attr = f' class="{css_class}"' if css_class else ""
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text)]
    return _join(f"<p{class_attr}>{esc(block)}</p>" for block in blocks if block)


def _bullets(items: Sequence[str] | None, css_class: str) -> str:
    if not items:
        return ""
    lis = _join(f"<li>{esc(item)}</li>" for item in items)
    return f'<ul class="{css_class}">\n{lis}\n</ul>'


def _tags(keywords: Sequence[str] | None, label: str) -> str:
    if not keywords:
        return ""
    lis = _join(f"<li>{esc(keyword)}</li>" for keyword in keywords)
    return f'<ul class="tags" aria-label="{esc(label)}">\n{lis}\n</ul>'


def _format_date(value: str) -> str:
    year, *rest = value.split("-")
    return f"{MONTHS[int(rest[0]) - 1]} {year}" if rest else year


def _time(value: str) -> str:
    return f'<time datetime="{esc(value)}">{esc(_format_date(value))}</time>'


def _date_range(start: str | None, end: str | None) -> str:
    if not start and not end:
        return ""
    if start and end and _format_date(start) == _format_date(end):
        return f'<p class="dates">{_time(start)}</p>'
    end_html = _time(end) if end else "Present"
    text = f"{_time(start)} {EN_DASH} {end_html}" if start else end_html
    return f'<p class="dates">{text}</p>'


def _entry(title_html: str, meta_html: str, dates_html: str, body: Iterable[str]) -> str:
    head = _join([f'<h3 class="entry-title">{title_html}</h3>', meta_html, dates_html])
    return _join(['<article class="entry">', f'<div class="entry-head">\n{head}\n</div>', *body, "</article>"])


def _about(basics: Mapping[str, Json]) -> Section | None:
    summary = basics.get("summary")
    return Section("about", "About", _paragraphs(summary, "lead")) if summary else None


def _experience(resume: Mapping[str, Json]) -> Section | None:
    jobs = [_job(job) for job in resume.get("work") or []]
    return Section("experience", "Experience", _join(jobs)) if jobs else None


def _job(job: Mapping[str, Json]) -> str:
    position, company = job.get("position"), job.get("name")
    title = esc(position or company or "Untitled role")
    org = _org_line(company, job.get("url"), job.get("location")) if position else ""
    body = [_paragraphs(job.get("summary") or ""), _bullets(job.get("highlights"), "highlights")]
    return _entry(title, org, _date_range(job.get("startDate"), job.get("endDate")), body)


def _org_line(name: str | None, url: str | None, location: str | None) -> str:
    parts = []
    if name:
        parts.append(_link(url, esc(name)) if url else esc(name))
    if location:
        parts.append(f'<span class="muted">{esc(location)}</span>')
    return f'<p class="entry-org">{" · ".join(parts)}</p>' if parts else ""


def _projects(resume: Mapping[str, Json]) -> Section | None:
    projects = [_project(project) for project in resume.get("projects") or []]
    return Section("projects", "Projects", _join(projects)) if projects else None


def _project(project: Mapping[str, Json]) -> str:
    name = esc(project.get("name") or "Untitled project")
    title = _link(project["url"], name) if project.get("url") else name
    body = [
        _paragraphs(project.get("description") or ""),
        _bullets(project.get("highlights"), "highlights"),
        _tags(project.get("keywords"), "Technologies"),
    ]
    dates = _date_range(project.get("startDate"), project.get("endDate"))
    return _entry(title, "", dates, body)


def _skills(resume: Mapping[str, Json]) -> Section | None:
    groups = [_skill(skill) for skill in resume.get("skills") or []]
    return Section("skills", "Skills", _join(groups)) if groups else None


def _skill(skill: Mapping[str, Json]) -> str:
    name = esc(skill.get("name") or "Skills")
    level = skill.get("level")
    level_html = f'<p class="level">{esc(level)}</p>' if level else ""
    head = f'<div class="skill-head">\n<h3>{name}</h3>\n{level_html}\n</div>'
    return _join(
        [
            '<div class="skill">',
            head,
            _tags(skill.get("keywords"), f"{skill.get('name') or 'Skills'} keywords"),
            "</div>",
        ]
    )


def _education(resume: Mapping[str, Json]) -> Section | None:
    schools = [_school(school) for school in resume.get("education") or []]
    return Section("education", "Education", _join(schools)) if schools else None


def _school(school: Mapping[str, Json]) -> str:
    institution = esc(school.get("institution") or "Education")
    title = _link(school["url"], institution) if school.get("url") else institution
    degree = " in ".join(str(school[key]) for key in ("studyType", "area") if school.get(key))
    degree_html = f'<p class="entry-org">{esc(degree)}</p>' if degree else ""
    score = school.get("score")
    body = [f'<p class="muted">Score: {esc(score)}</p>' if score else "", _tags(school.get("courses"), "Courses")]
    return _entry(title, degree_html, _date_range(school.get("startDate"), school.get("endDate")), body)


def _certificates(resume: Mapping[str, Json]) -> Section | None:
    items = [_certificate(cert) for cert in resume.get("certificates") or []]
    if not items:
        return None
    return Section("certificates", "Certificates", f'<ul class="plain-list">\n{_join(items)}\n</ul>')


def _certificate(cert: Mapping[str, Json]) -> str:
    name = esc(cert.get("name") or "Certificate")
    title = _link(cert["url"], name) if cert.get("url") else name
    details = [esc(cert["issuer"])] if cert.get("issuer") else []
    if cert.get("date"):
        details.append(_time(cert["date"]))
    detail_html = f'<span class="muted">{" · ".join(details)}</span>' if details else ""
    return f'<li><span class="item-name">{title}</span>{detail_html}</li>'


def _languages(resume: Mapping[str, Json]) -> Section | None:
    items = [_language(language) for language in resume.get("languages") or []]
    if not items:
        return None
    return Section("languages", "Languages", f'<dl class="pairs">\n{_join(items)}\n</dl>')


def _language(language: Mapping[str, Json]) -> str:
    name = f"<dt>{esc(language.get('language') or 'Language')}</dt>"
    fluency = language.get("fluency")
    return f"{name}\n<dd>{esc(fluency)}</dd>" if fluency else f"{name}\n<dd>—</dd>"


def _footer(basics: Mapping[str, Json]) -> str:
    return _join(
        [
            f"<p>{esc(basics['name'])}</p>",
            '<p class="muted">The visit counter records at most one visit per browser session and sets no cookies.</p>',
        ]
    )


# --------------------------------------------------------------------------- writing


def build_site(resume_path: Path, out_dir: Path, *, api_base_url: str | None = None) -> Path:
    """Validate, render and swap a fresh site into out_dir; return out_dir.

    Raises ResumeError (before touching the disk) when the resume is invalid.
    With api_base_url, config.json is part of the swap, so the site never goes
    live without it.
    """
    page = render_page(load_resume(resume_path))
    base_url = normalise_api_base_url(api_base_url) if api_base_url is not None else None
    out_dir = Path(os.path.abspath(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        _write_site(staging, page)
        if base_url is not None:
            write_config(staging, base_url)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _write_site(target: Path, page: str) -> None:
    # mkdtemp makes the dir owner-only; a static file server may run as someone else.
    target.chmod(0o755)
    (target / "index.html").write_bytes(page.encode("utf-8"))
    for source in sorted(STATIC_DIR.iterdir()):
        if source.is_file() and not source.name.startswith("."):
            shutil.copyfile(source, target / source.name)


def _swap_in(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = staging.with_name(staging.name.replace("-new-", "-old-", 1))
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except OSError:
        retired.rename(out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def normalise_api_base_url(api_base_url: str) -> str:
    """Return the URL without a trailing slash; raise ValueError unless it is absolute http(s)."""
    parts = urlsplit(api_base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"API base URL {api_base_url!r} must be an absolute http(s) URL without query or fragment")
    return api_base_url.rstrip("/")


def write_config(dist_dir: Path, api_base_url: str) -> Path:
    """Write dist_dir/config.json for counter.js and return its path.

    Written atomically so a page loading during a deploy never reads half a file.
    """
    content = json.dumps({"apiBaseUrl": normalise_api_base_url(api_base_url)}, indent=2) + "\n"
    target = dist_dir / CONFIG_NAME
    partial = dist_dir / f".{CONFIG_NAME}.partial"
    partial.write_bytes(content.encode("utf-8"))
    os.replace(partial, target)
    return target


def site_size(dist_dir: Path) -> int:
    """Total bytes of every file in dist_dir (the page budget counts all of them)."""
    return sum(path.stat().st_size for path in dist_dir.rglob("*") if path.is_file())


# --------------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m frontend.build", description="Build the static resume site.")
    parser.add_argument("--resume", type=Path, default=DEFAULT_RESUME, help="JSON Resume file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--api-base-url",
        type=_api_base_url_argument,
        help="visit counter API base URL, written to OUT/config.json",
    )
    return parser.parse_args(argv)


def _api_base_url_argument(value: str) -> str:
    try:
        return normalise_api_base_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _report(line: str) -> None:
    print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    args = _parse_args(argv)
    try:
        out_dir = build_site(args.resume, args.out, api_base_url=args.api_base_url)
    except ResumeError as exc:
        for problem in exc.problems:
            _report(problem)
        _report(f"build failed: {len(exc.problems)} problem(s); {args.out} left unchanged")
        return 1
    except OSError as exc:
        _report(f"build failed: {exc}; {args.out} left unchanged")
        return 1
    print(f"built {out_dir} ({site_size(out_dir)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
