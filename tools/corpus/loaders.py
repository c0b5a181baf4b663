"""Read corpus files into documents: JSONL(.gz), Markdown, HTML, plain text and PDF."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kilab.tools.corpus.documents import Document

_CORE_FIELDS = ("id", "title", "text", "url", "source")
LIST_SEPARATOR = "; "


def as_text(value: Any) -> str:
    """A metadata value as a string: lists joined with ``"; "``, nested data as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(as_text(v) for v in value if v is not None)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def load_file(path: Path, name: str = "") -> Iterator[Document]:
    """Documents of one file, by its suffix.

    Args:
        path: The file.
        name: The id of a whole-file document (its path relative to the corpus folder);
            defaults to the file name.

    Raises:
        ValueError: The suffix is not one the loaders read, or a JSONL line is broken.
    """
    suffix = path.name.lower()
    name = name or path.name
    if suffix.endswith((".jsonl", ".jsonl.gz")):
        yield from load_jsonl(path)
    elif suffix.endswith((".md", ".markdown")):
        text = read_text(path)
        yield _whole_file(path, name, _markdown_title(text, path), text)
    elif suffix.endswith((".html", ".htm")):
        yield load_html(path, name)
    elif suffix.endswith(".txt"):
        yield _whole_file(path, name, path.stem.replace("_", " "), read_text(path))
    elif suffix.endswith(".pdf"):
        yield load_pdf(path, name)
    else:
        raise ValueError(f"{path}: unsupported file type (use JSONL, Markdown, HTML, text or PDF)")


def read_text(path: Path) -> str:
    """A text file as UTF-8 (a BOM is dropped, bad bytes replaced)."""
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def load_jsonl(path: Path) -> Iterator[Document]:
    """One document per JSON line; fields id, title, text, url, source, the rest metadata."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: a line must hold a JSON object")
            yield Document(
                id=as_text(record.get("id")) or f"{path.name}:{number}",
                text=as_text(record.get("text")),
                title=as_text(record.get("title")),
                url=as_text(record.get("url")),
                source=as_text(record.get("source")) or path.name,
                metadata={
                    key: text
                    for key, value in record.items()
                    if key not in _CORE_FIELDS and (text := as_text(value))
                },
            )


def _whole_file(
    path: Path, name: str, title: str, text: str, page_starts: tuple[int, ...] = ()
) -> Document:
    return Document(
        id=name,
        text=text,
        title=title,
        url=path.resolve().as_uri(),
        source=path.name,
        page_starts=page_starts,
    )


def _markdown_title(text: str, path: Path) -> str:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
    return match.group(1) if match else path.stem.replace("_", " ")


_BLOCKS = (
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "td",
    "th",
    "pre",
    "blockquote",
    "dt",
    "dd",
    "caption",
    "figcaption",
)


def load_html(path: Path, name: str) -> Document:
    """An HTML page as text, headings kept as ``#`` lines so chunking can follow them."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(read_text(path))
    for node in tree.css("script, style, nav, header, footer, noscript, template"):
        node.decompose()
    title_node = tree.css_first("title") or tree.css_first("h1")
    title = title_node.text(strip=True) if title_node else path.stem
    body = tree.body or tree.root
    lines: list[str] = []
    selector = ", ".join(_BLOCKS)
    for node in body.css(selector) if body else []:
        # Only the innermost blocks: a <li> holding a <p> gives its text once, through the <p>.
        if any(inner.tag in _BLOCKS for inner in list(node.traverse())[1:]):
            continue
        text = " ".join(node.text(separator=" ").split())
        tag = node.tag or ""
        if not text:
            continue
        level = int(tag[1]) if tag[:1] == "h" and tag[1:].isdigit() else 0
        lines.append(f"{'#' * level} {text}" if level else text)
    return _whole_file(path, name, title, "\n\n".join(lines))


def load_pdf(path: Path, name: str) -> Document:
    """A PDF's text page by page, remembering where each page starts."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages: list[str] = []
    starts: list[int] = []
    offset = 0
    for page in reader.pages:
        text = (page.extract_text() or "").strip()
        starts.append(offset)
        pages.append(text)
        offset += len(text) + 2
    title = ""
    if reader.metadata is not None and reader.metadata.title:
        title = str(reader.metadata.title)
    return _whole_file(
        path, name, title or path.stem.replace("_", " "), "\n\n".join(pages), tuple(starts)
    )
