"""``kilab index`` and ``kilab search`` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LAW = [
    {
        "id": "husl#§3-5",
        "title": "Husleieloven § 3-5. Depositum",
        "text": "Leieren kan deponere et beløp oppad begrenset til seks måneders leie.",
        "url": "https://lovdata.no/husl/§3-5",
        "source": "husleieloven",
    },
    {
        "id": "husl#§9-6",
        "title": "Husleieloven § 9-6. Oppsigelsesfrister",
        "text": "For bolig er oppsigelsesfristen tre måneder.",
        "url": "https://lovdata.no/husl/§9-6",
        "source": "husleieloven",
    },
]


def kilab(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KILAB_CACHE": str(cwd / "cache"), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", "from kilab.cli import main; main()", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def law_file(tmp_path: Path) -> Path:
    path = tmp_path / "lov.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in LAW), encoding="utf-8"
    )
    return path


def test_index_then_search_a_jsonl_file(law_file: Path, tmp_path: Path) -> None:
    built = kilab("index", str(law_file), "--mode", "bm25", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert "lov: 2 chunks, mode bm25" in built.stdout
    assert list((tmp_path / "cache" / "indexes").glob("lov-*/manifest.json"))
    found = kilab(
        "search",
        str(law_file),
        "Hvor stort kan depositumet være?",
        "--mode",
        "bm25",
        "--json",
        "--k",
        "1",
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 1
    assert hits[0]["id"] == "husl#§3-5" and hits[0]["score"] > 0
    assert {"id", "score", "title", "url", "text"} <= set(hits[0])
    assert hits[0]["url"] == "https://lovdata.no/husl/§3-5"


def test_search_prints_a_table_of_hits(law_file: Path, tmp_path: Path) -> None:
    shown = kilab("search", str(law_file), "oppsigelsesfrist", "--mode", "bm25", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "husl#§9-6" in shown.stdout and "Oppsigelsesfrister" in shown.stdout
    assert "https://lovdata.no/husl/§9-6" in shown.stdout


def test_search_through_a_corpus_yaml_with_a_filter(law_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "corpora" / "lov.yaml"
    config.parent.mkdir()
    config.write_text(
        "kind: corpus\nname: lover\nfiles: [../lov.jsonl]\n"
        "include: {id: ['husl#§9-6']}\nindex: {stemmer: null}\n",
        encoding="utf-8",
    )
    found = kilab(
        "search", str(config), "oppsigelsesfristen leie", "--mode", "bm25", "--json", cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    assert [h["id"] for h in json.loads(found.stdout)] == ["husl#§9-6"]


def test_search_a_corpus_config_by_name(configs: Path, tmp_path: Path) -> None:
    found = kilab(
        "search",
        "eiendomslover",
        "Hvor mye depositum kan utleier kreve?",
        "--mode",
        "bm25",
        "--json",
        "--k",
        "3",
        cwd=tmp_path,
        env={"KILAB_CONFIGS": str(configs)},
    )
    assert found.returncode == 0, found.stderr
    assert "nl-19990326-017#§3-5" in [h["id"] for h in json.loads(found.stdout)]


def test_user_errors_exit_2_without_traceback(
    law_file: Path, tmp_path: Path, configs: Path
) -> None:
    unknown = kilab(
        "search", "eiendomlover", "x", cwd=tmp_path, env={"KILAB_CONFIGS": str(configs)}
    )
    assert unknown.returncode == 2
    assert "did you mean 'eiendomslover'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_mode = kilab("search", str(law_file), "x", "--mode", "fuzzy", cwd=tmp_path)
    assert bad_mode.returncode == 2 and "--mode" in bad_mode.stderr


def test_search_filters_by_a_date_range(tmp_path: Path) -> None:
    notices = tmp_path / "kunngjoringer.jsonl"
    notices.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"n{i}",
                    "title": "Husleie",
                    "text": "Regler om husleie og depositum.",
                    "date_published": date,
                }
            )
            + "\n"
            for i, date in enumerate(["2025-01-15 10:00", "2025-04-02 12:00", "Kongen bestemmer"])
        ),
        encoding="utf-8",
    )
    found = kilab(
        "search",
        str(notices),
        "husleie",
        "--mode",
        "bm25",
        "--json",
        "--filter",
        "date_published=2025-03..2025-06",
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stderr
    assert [h["id"] for h in json.loads(found.stdout)] == ["n1"]
    bad = kilab("search", str(notices), "husleie", "--filter", "date_published", cwd=tmp_path)
    assert bad.returncode == 2 and "write FIELD=VALUE" in bad.stderr
