"""Extension points: a higher app adds to a lower app's page without the lower app importing it.

The layering rule says ``jobs`` may not import ``complaints``, yet the job page shows the
complaints about the job. So ``jobs`` asks for whatever the installed apps contribute to
"job_page" and renders it; ``complaints`` registers its contribution in ``AppConfig.ready``.
Each contribution is computed through the contributing app's own selectors, in its own scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

_contributors: dict[str, list[Callable[..., PageExtension]]] = defaultdict(list)


@dataclass(frozen=True)
class Badge:
    label: str
    css: str = "text-bg-secondary"
    url: str = ""


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    style: str = "outline-primary"


@dataclass(frozen=True)
class Section:
    """A block of the page: a template and what it needs (rendered as ``{% include template with data=... %}``)."""

    template: str
    data: object


@dataclass
class PageExtension:
    badges: list[Badge] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    timeline: list = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def register(point: str, contributor: Callable[..., PageExtension]) -> None:
    if contributor not in _contributors[point]:
        _contributors[point].append(contributor)


def collect(point: str, **kwargs) -> PageExtension:
    """Everything the installed apps add to ``point``, merged."""
    merged = PageExtension()
    for contributor in _contributors[point]:
        part = contributor(**kwargs)
        merged.badges.extend(part.badges)
        merged.links.extend(part.links)
        merged.timeline.extend(part.timeline)
        merged.sections.extend(part.sections)
    return merged
