"""What the site must send, as a visitor's browser reads it: the security headers and the CSP allowing the API.
One definition for the post-deploy check (tools/verify.py) and the availability probe; standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from functions.common.security_headers import CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY, security_headers

CONNECT_SRC: Final = "connect-src"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def security_header_problems(headers: Mapping[str, str], *, api_origin: str, https: bool) -> list[str]:
    """How the site's response differs from `security_headers(api_origin)`, the one definition every host sends
    (empty when it sends them all). Headers of other names are not looked at."""
    sent = {name.lower(): value.strip() for name, value in headers.items()}
    problems = []
    for name, expected in security_headers(api_origin).items():
        # NOTE: browsers ignore HSTS received over plain HTTP (RFC 6797 §8.1), so only an https site must send it.
        if name == STRICT_TRANSPORT_SECURITY and not https:
            continue
        actual = sent.get(name.lower())
        if not actual:
            problems.append(f"no {name} header")
        elif name == CONTENT_SECURITY_POLICY:
            problems += _csp_problems(actual, expected, api_origin)
        elif _value_parts(actual) != _value_parts(expected):
            problems.append(f"{name} is {actual!r}, expected {expected!r}")
    return problems


def _csp_problems(actual: str, expected: str, api_origin: str) -> list[str]:
    """Directive by directive; `connect-src` compared by origin, so `https://api.example/prod/` counts as the API."""
    sent, wanted = _csp_directives(actual), _csp_directives(expected)
    problems = []
    api_allowed = api_origin in sent.get(CONNECT_SRC, frozenset())
    if not api_allowed:
        connect_src = _sources(sent[CONNECT_SRC]) if CONNECT_SRC in sent else "missing"
        problems.append(
            f"{CONTENT_SECURITY_POLICY} {CONNECT_SRC} does not allow the API origin {api_origin}: "
            f"{CONNECT_SRC} is {connect_src!r} (the deploy writes the API's origin there)"
        )
    for directive in sorted(sent.keys() | wanted.keys()):
        if sent.get(directive) == wanted.get(directive) or (directive == CONNECT_SRC and not api_allowed):
            continue
        if directive not in sent:
            problems.append(f"{CONTENT_SECURITY_POLICY} has no {directive} (expected {_sources(wanted[directive])!r})")
        elif directive not in wanted:
            problems.append(f"{CONTENT_SECURITY_POLICY} has a directive it should not: {directive}")
        else:
            problems.append(
                f"{CONTENT_SECURITY_POLICY} {directive} is {_sources(sent[directive])!r}, "
                f"expected {_sources(wanted[directive])!r}"
            )
    return problems


def _csp_directives(policy: str) -> dict[str, frozenset[str]]:
    """Directive → its sources, normalised: order and case do not matter, and a URL source stands for its origin.
    The first of repeated directives counts, as in browsers (CSP Level 3, §2.2.1)."""
    directives: dict[str, frozenset[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split() or [""]
        if name and name.lower() not in directives:
            directives[name.lower()] = frozenset(
                origin_of(source) if "://" in source else source.lower() for source in sources
            )
    return directives


def _sources(sources: frozenset[str]) -> str:
    return " ".join(sorted(sources))


def _value_parts(value: str) -> frozenset[str]:
    """`max-age=1; includeSubDomains` and `includesubdomains;max-age=1` are the same header value."""
    return frozenset(" ".join(part.split()).lower() for part in value.split(";") if part.strip())
