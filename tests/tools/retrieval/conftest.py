"""Tiny corpora in every format, written fresh for each test."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def write_pdf(path: Path, pages: list[list[str]], title: str = "") -> None:
    """Write a PDF with Helvetica text (WinAnsi encoding, so æøå work)."""
    objects: list[bytes] = []
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)))
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    )
    for lines in pages:
        content = (
            b"BT /F1 11 Tf 14 TL 50 780 Td "
            + b" ".join(b"(%s) Tj T*" % _escape(line) for line in lines)
            + b" ET"
        )
        page_number = len(objects) + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_number + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content))
    info = None
    if title:
        objects.append(b"<< /Title (%s) >>" % _escape(title))
        info = len(objects)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if info:
        trailer += b" /Info %d 0 R" % info
    out += b"trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    path.write_bytes(bytes(out))


LAW = [
    {
        "id": "husl#§3-5",
        "title": "Husleieloven § 3-5. Depositum",
        "text": "Det kan avtales at leieren skal deponere et beløp oppad begrenset til summen av "
        "seks måneders leie. Beløpet skal settes på særskilt konto i leierens navn.",
        "url": "https://lovdata.no/husl/§3-5",
        "source": "husleieloven",
        "law": "husl",
        "ministry": ["Kommunal- og distriktsdepartementet"],
        "year": 1999,
    },
    {
        "id": "husl#§9-6",
        "title": "Husleieloven § 9-6. Oppsigelsesfrister",
        "text": "For leieavtaler om bolig er oppsigelsesfristen tre måneder, regnet fra utløpet "
        "av måneden oppsigelsen fant sted.",
        "url": "https://lovdata.no/husl/§9-6",
        "source": "husleieloven",
        "law": "husl",
        "ministry": ["Kommunal- og distriktsdepartementet"],
        "year": 1999,
    },
    {
        "id": "avhl#§3-9",
        "title": "Avhendingslova § 3-9. Som han er",
        "text": "Er eigedomen seld «som han er», har eigedomen likevel manglar dersom han er i "
        "vesentleg ringare stand enn kjøparen hadde grunn til å rekne med.",
        "url": "https://lovdata.no/avhl/§3-9",
        "source": "avhendingslova",
        "law": "avhl",
        "ministry": ["Justis- og beredskapsdepartementet", "Kommunal- og distriktsdepartementet"],
        "year": 1992,
    },
    {
        "id": "tl#§2",
        "title": "Tomtefesteloven § 2. Hva loven gjelder",
        "text": "Loven gjelder avtaler om feste av tomt for bolighus eller fritidshus. Festeren "
        "betaler festeavgift til bortfesteren hvert år.",
        "url": "https://lovdata.no/tl/§2",
        "source": "tomtefesteloven",
        "law": "tl",
        "ministry": ["Justis- og beredskapsdepartementet"],
        "year": 1996,
    },
]


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def law_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "law.jsonl", LAW)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def documents_folder(tmp_path: Path) -> Path:
    """A folder with one document of every format, plus a hidden file to skip."""
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "veileder.md").write_text(
        "# Veileder for leietakere\n\nInnledning om leie.\n\n## Depositum\n\n"
        "Depositum kan være opptil seks måneders leie.\n\n## Oppsigelse\n\n"
        "Oppsigelsesfristen er tre måneder.\n",
        encoding="utf-8",
    )
    (folder / "side.html").write_text(
        "<html><head><title>Nabovarsel</title><style>p{}</style></head><body>"
        "<nav><p>Meny som ikke skal med</p></nav><h1>Nabovarsel</h1>"
        "<p>Naboer skal varsles før du søker om byggetillatelse.</p>"
        "<ul><li><p>Send varsel</p></li><li>Vent to uker</li></ul>"
        "<script>var x = 'skjult';</script></body></html>",
        encoding="utf-8",
    )
    (folder / "sub" / "notat.txt").write_text(
        "\ufeffNotat om fritidsbolig og festeavgift.\n", encoding="utf-8"
    )
    write_pdf(
        folder / "sub" / "rundskriv.pdf",
        [
            ["Rundskriv om husleie", "§ 1. Depositum", "Depositumet står på egen konto."],
            ["§ 2. Husleieøkning", "Leien kan justeres etter konsumprisindeksen."],
        ],
        title="Rundskriv H-1/25",
    )
    write_jsonl(folder / "lover.jsonl.gz", LAW[:2])
    (folder / ".skjult.md").write_text("# Skjult\n", encoding="utf-8")
    (folder / "bilde.png").write_bytes(b"\x89PNG")
    return folder
