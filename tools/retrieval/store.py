"""The on-disk index folder of a corpus: keyed by a hash of its files and settings.

The key holds the files' contents and their names as the corpus knows them (what chunks
store), not where the files lie: the same corpus in another checkout, a copied project or a
temporary folder loads the index already built instead of building it again.

A folder is written under a temporary name and renamed into place when complete, so a
reader never sees half an index and two processes building at once both end up valid.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from kilab.core.settings import settings
from kilab.tools.corpus import CorpusSource, expand_files
from kilab.tools.corpus.source import file_digest
from kilab.tools.retrieval.types import Chunk
from kilab.tools.text import NORWEGIAN_STOPWORDS

# Bump when the stored layout or the analysis changes, so old folders are not reused.
FORMAT_VERSION = "2"  # 2: the key no longer holds the files' absolute paths
CHUNKS_FILE = "chunks.jsonl"
MANIFEST_FILE = "manifest.json"
BM25_FOLDER = "bm25"


def default_cache_dir() -> Path:
    """``$KILAB_CACHE``, else ``$KILAB_HOME/cache`` (``kilab.core.settings``)."""
    return settings().cache_dir


def corpus_key(source: CorpusSource) -> str:
    """Hash of the corpus files' contents and names, the record filter and the settings."""
    files = expand_files(source.files)
    payload = json.dumps(
        {
            "version": FORMAT_VERSION,
            "files": [file_digest(path) for path, _ in files],
            "names": [name for _, name in files],
            "include": {k: sorted(v) for k, v in sorted(source.include.items())},
            "chunking": source.chunking.model_dump(mode="json"),
            "index": source.index.index_fields(),
            # The stop-word list is code, not a setting: a changed list must rebuild too.
            "stopwords": hashlib.sha256(" ".join(sorted(NORWEGIAN_STOPWORDS)).encode()).hexdigest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def index_folder(cache_dir: Path, source: CorpusSource, key: str) -> Path:
    """Where the index of a corpus with this key lives."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in source.name) or "corpus"
    return cache_dir / "indexes" / f"{safe}-{key[:20]}"


def write_chunks(folder: Path, chunks: Iterable[Chunk]) -> None:
    """Store chunks as JSON lines."""
    with (folder / CHUNKS_FILE).open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            record = {
                "id": chunk.id,
                "title": chunk.title,
                "url": chunk.url,
                "source": chunk.source,
                "text": chunk.text,
                "metadata": dict(chunk.metadata),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_chunks(folder: Path) -> list[Chunk]:
    """Chunks stored by :func:`write_chunks`, in order."""
    chunks = []
    with (folder / CHUNKS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            chunks.append(
                Chunk(
                    id=r["id"],
                    text=r["text"],
                    title=r["title"],
                    url=r["url"],
                    source=r["source"],
                    metadata=r["metadata"],
                )
            )
    return chunks


def is_complete(folder: Path) -> bool:
    """Whether a finished index lives in the folder."""
    return (folder / MANIFEST_FILE).is_file()


def new_folder(final: Path) -> Path:
    """A private temporary folder beside ``final`` to build into."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))


def publish(temporary: Path, final: Path, manifest: dict[str, object]) -> None:
    """Finish a built folder: write its manifest and move it into place."""
    (temporary / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    try:
        temporary.rename(final)
    except OSError:
        # Another process published the same key first; its folder is as good as ours.
        shutil.rmtree(temporary, ignore_errors=True)
