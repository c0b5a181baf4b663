"""A tiny, self-contained pilot for tests, examples and benchmarks ("fakes ship with the package").

``write_mini_project(folder)`` writes a config root with an offline model profile, a dozen
short tenancy passages, the retrieve → draft → review graph on BM25, and a pilot with a
small dataset (answerable and out-of-scope questions). It runs offline in well under a
second per case and needs nothing outside the folder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

PASSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "mini#1",
        "Depositum",
        "Utleieren kan kreve depositum på opptil seks måneders leie. "
        "Depositumet skal settes inn på en særskilt konto i leierens navn.",
    ),
    (
        "mini#2",
        "Depositumskonto",
        "Utleieren dekker kostnadene med å opprette depositumskontoen. "
        "Rentene på depositumskontoen tilfaller leieren.",
    ),
    (
        "mini#3",
        "Oppsigelsesfrist",
        "Oppsigelsesfristen for leie av bolig er tre måneder regnet "
        "fra utgangen av måneden, om ikke annet er avtalt.",
    ),
    (
        "mini#4",
        "Husleieøkning",
        "Utleieren kan kreve leien endret i takt med konsumprisindeksen. "
        "Endring kan kreves med en måneds skriftlig varsel, tidligst ett år etter siste endring.",
    ),
    (
        "mini#5",
        "Vedlikehold",
        "Leieren skal vedlikeholde dørlåser, kraner, vannlåser, "
        "elektriske kontakter og brytere i husrommet.",
    ),
    (
        "mini#6",
        "Fremleie",
        "Leieren kan med samtykke fra utleieren fremleie deler av boligen. "
        "Utleieren kan bare nekte fremleie dersom det er saklig grunn til det.",
    ),
    (
        "mini#7",
        "Husdyr",
        "Leieren kan holde dyr dersom gode grunner taler for det og dyreholdet "
        "ikke er til ulempe for utleieren eller de andre brukerne av eiendommen.",
    ),
    (
        "mini#8",
        "Mangel",
        "Det foreligger mangel dersom husrommet ikke er i samsvar med det "
        "leieren kan kreve etter leieavtalen. Leieren må reklamere innen rimelig tid.",
    ),
    (
        "mini#9",
        "Fraflytting",
        "Ved leieforholdets opphør skal leieren fraflytte og levere "
        "tilbake husrommet med tilbehør den siste dagen i leieforholdet.",
    ),
    (
        "mini#10",
        "Tidsbestemt leie",
        "Tidsbestemt leieavtale for bolig kan ikke inngås for "
        "kortere tid enn tre år. Avtalen opphører ved leietidens utløp uten oppsigelse.",
    ),
    (
        "mini#11",
        "Forsikring",
        "Utleieren bør ha forsikring av bygningen. Leieren bør ha "
        "innboforsikring for egne eiendeler.",
    ),
    (
        "mini#12",
        "Leiens størrelse",
        "Leien kan ikke avtales høyere enn det som er vanlig i "
        "markedet for liknende husrom på liknende vilkår.",
    ),
)

CASES: tuple[dict[str, object], ...] = (
    {
        "id": "mini-01",
        "question": "Hvor mye depositum kan utleier kreve?",
        "answers": ["seks måneders leie"],
        "gold_ids": ["mini#1"],
        "tags": ["depositum"],
    },
    {
        "id": "mini-02",
        "question": "Hvem betaler for å opprette depositumskontoen?",
        "answers": ["utleieren"],
        "gold_ids": ["mini#2"],
        "tags": ["depositum"],
    },
    {
        "id": "mini-03",
        "question": "Hva er oppsigelsesfristen for leie av bolig?",
        "answers": ["tre måneder"],
        "gold_ids": ["mini#3"],
        "tags": ["oppsigelse"],
    },
    {
        "id": "mini-04",
        "question": "Kan utleieren kreve leien endret i takt med konsumprisindeksen?",
        "answers": ["ja"],
        "gold_ids": ["mini#4"],
        "tags": ["leie"],
    },
    {
        "id": "mini-05",
        "question": "Hvem skal vedlikeholde dørlåser og kraner?",
        "answers": ["leieren"],
        "gold_ids": ["mini#5"],
        "tags": ["vedlikehold"],
    },
    {
        "id": "mini-06",
        "question": "Kan leieren fremleie deler av boligen?",
        "answers": ["ja, med samtykke fra utleieren"],
        "gold_ids": ["mini#6"],
        "tags": ["fremleie"],
    },
    {
        "id": "mini-07",
        "question": "Kan jeg holde dyr i leiligheten jeg leier?",
        "answers": ["ja, dersom gode grunner taler for det"],
        "gold_ids": ["mini#7"],
        "tags": ["husdyr"],
    },
    {
        "id": "mini-08",
        "question": "Hvor lang må en tidsbestemt leieavtale for bolig minst være?",
        "answers": ["tre år"],
        "gold_ids": ["mini#10"],
        "tags": ["tidsbestemt"],
    },
    {
        "id": "mini-09",
        "question": "Hvordan søker jeg om pass til barnet mitt?",
        "expect": "decline",
        "tags": ["out-of-scope"],
    },
    {
        "id": "mini-10",
        "question": "Hva er fristen for å levere skattemeldingen?",
        "expect": "decline",
        "tags": ["out-of-scope"],
    },
)

_GRAPH = """kind: graph
name: mini-rag
nodes:
  retrieve: {{tool: {search_tool}, with: {{corpus: mini, k: 3{search_extra}}}}}
  draft: {{agent: drafter}}
  review: {{agent: reviewer}}
edges: [[START, retrieve], [retrieve, draft], [draft, review]]
routes:
  review: {{approved: END, revise: draft, reject: END}}
limits: {{draft: 2}}
"""


def write_mini_project(
    folder: str | Path,
    *,
    cases: Sequence[dict[str, object]] = CASES,
    search_tool: str = "search",
    gates: str | None = None,
    drafter_model: str = "offline",
    models_yaml: str | None = None,
) -> Path:
    """Write the mini project under ``folder`` and return the path of its pilot YAML.

    Args:
        folder: Where to write (created if missing).
        cases: The dataset's cases.
        search_tool: The registered tool of the retrieve node (tests swap in their own).
        gates: YAML of the pilot's ``gates:`` mapping (default: a pilot gate that the
            offline baseline passes and a production gate that it fails).
        drafter_model: The drafter's model profile.
        models_yaml: The whole models.yaml (default: just the offline profile).
    """
    root = Path(folder)
    for sub in ("agents", "corpora", "graphs", "pilots", "datasets", "data"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "models.yaml").write_text(
        models_yaml or "kind: models\nprofiles:\n  offline: {provider: offline}\n", encoding="utf-8"
    )
    with (root / "data" / "mini.jsonl").open("w", encoding="utf-8") as handle:
        for pid, title, text in PASSAGES:
            handle.write(
                json.dumps(
                    {"id": pid, "title": title, "text": text, "url": "", "source": "mini"},
                    ensure_ascii=False,
                )
                + "\n"
            )
    (root / "corpora" / "mini.yaml").write_text(
        "kind: corpus\nname: mini\nfiles: [../data/mini.jsonl]\nchunking: {strategy: none}\n",
        encoding="utf-8",
    )
    extra = ", mode: bm25" if search_tool == "search" else ""
    (root / "graphs" / "mini-rag.yaml").write_text(
        _GRAPH.format(search_tool=search_tool, search_extra=extra), encoding="utf-8"
    )
    (root / "agents" / "drafter.yaml").write_text(
        f"kind: agent\nname: drafter\nrole: drafter\nmodel: {drafter_model}\n"
        "settings: {max_sentences: 2, min_coverage: 0.5}\n",
        encoding="utf-8",
    )
    (root / "agents" / "reviewer.yaml").write_text(
        "kind: agent\nname: reviewer\nrole: reviewer\nmodel: offline\n"
        "settings: {rules: [citations, grounding, personal-data], min_support: 0.6}\n",
        encoding="utf-8",
    )
    with (root / "datasets" / "mini.jsonl").open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    gates = (
        gates
        if gates is not None
        else (
            "  pilot:\n    min_cases: 5\n    min: {recall@3: 0.3}\n    zero: [pii_leaks]\n"
            "  production:\n    min_cases: 100\n    min: {recall@3: 0.99}\n    zero: [pii_leaks]\n"
            "    no_regression_vs: promoted\n"
        )
    )
    pilot = root / "pilots" / "mini.yaml"
    pilot.write_text(
        "kind: pilot\nname: mini\ngraph: mini-rag\ndataset: ../datasets/mini.jsonl\n"
        "variants:\n  baseline: {}\n  k1: {nodes: {retrieve: {k: 1}}}\n"
        "metrics: [recall@3, mrr, citation_precision, citation_recall, grounding, answer_f1, "
        "decline_accuracy, pii_leaks]\n" + (f"gates:\n{gates}" if gates.strip() else ""),
        encoding="utf-8",
    )
    return pilot


def write_split_mini_project(
    folder: str | Path,
    dev: Sequence[dict[str, object]],
    test: Sequence[dict[str, object]],
    tune: str,
) -> Path:
    """Write the mini project with its dataset split into ``dev`` and ``test`` files.

    Args:
        folder: Where to write (the project's root).
        dev, test: The cases of each split.
        tune: YAML of the pilot's ``tune:`` mapping, e.g. ``{k: retrieve.k}``.

    Returns:
        The project's root, for ``load_project([root], root=root)``.
    """
    pilot = write_mini_project(folder)
    root = pilot.parent.parent
    for name, part in (("dev", dev), ("test", test)):
        lines = [json.dumps(c, ensure_ascii=False) for c in part]
        (root / "datasets" / f"mini-{name}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )
    text = pilot.read_text(encoding="utf-8").replace(
        "dataset: ../datasets/mini.jsonl\n",
        "dataset: {dev: ../datasets/mini-dev.jsonl, test: ../datasets/mini-test.jsonl}\n"
        f"tune: {tune}\n",
    )
    pilot.write_text(text, encoding="utf-8")
    return root
