"""Text made short enough to read on a screen: cut at a word, web addresses by their ends."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at the last whole word within ``limit`` characters and
    ended with «…» when something was cut (a single over-long word is cut where it must)."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS


def _parts(url: str) -> tuple[str, list[str], str]:
    split = urlsplit(url)
    site = (split.hostname or "").removeprefix("www.")
    if split.port:
        site += f":{split.port}"
    path = [unquote(p) for p in split.path.split("/") if p]
    extra = ("?" + unquote(split.query) if split.query else "") + (
        "#" + unquote(split.fragment) if split.fragment else ""
    )
    return site, path, extra


def _label(site: str, path: list[str], extra: str, tail: int) -> str:
    shown = path[len(path) - tail :] if tail else []
    if len(shown) < len(path):
        shown = [ELLIPSIS, *shown]
    return "/".join([site, *shown]) + (extra if tail >= len(path) else "")


def link_labels(urls: list[str], tail: int = 2) -> list[str]:
    """How each address is shown: its site and the end of its path («school1.ru/…/docs/
    plan.pdf»). Addresses that would read the same get more of their path, down to the
    whole address, so two links to one site are always told apart."""
    parts = [_parts(u) for u in urls]
    tails = [min(tail, len(path)) for _, path, _ in parts]
    while True:
        labels = [_label(*p, t) for p, t in zip(parts, tails, strict=True)]
        clash = {
            n
            for n, label in enumerate(labels)
            if labels.count(label) > 1 and urls.count(urls[n]) < labels.count(label)
        }
        grow = [n for n in clash if tails[n] < len(parts[n][1])]
        if not grow:
            break
        for n in grow:
            tails[n] += 1
    # Still alike (they differ only in the query or the scheme): the whole address.
    return [
        urls[n]
        if labels.count(labels[n]) > 1 and urls.count(urls[n]) < labels.count(labels[n])
        else labels[n]
        for n in range(len(urls))
    ]


def link_label(url: str) -> str:
    return link_labels([url])[0]
