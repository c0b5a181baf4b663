"""The pattern sets behind the injection check, by language form and category.

Every pattern has a stable id ``<language>.<name>`` that reports and tests refer to. A pattern may
carry ``requires``: further expressions that must all occur inside the match (used to demand a
qualifier such as "previous" or an object such as "samtalen" without listing every word order).
``views`` limits a pattern to some views of ``normalise.screen_views`` (the body of an HTML
comment, say).
Categories: ``override`` (drop earlier instructions), ``role`` (become someone else),
``system-prompt`` (reveal hidden instructions), ``output-control`` (say exactly this),
``addressed-to-ai`` (a message to the model, not the reader), ``answer-control`` (put this
token or link into your answer), ``exfiltration`` (send data somewhere), ``chat-markup`` (fake
chat-template turns and tool results) and ``hidden-text`` (content a human reader would not
see).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["nb", "nn", "en", "any"]


@dataclass(frozen=True, slots=True)
class InjectionPattern:
    """A named expression for one kind of injected instruction in one language form.

    ``anchors`` are lower-case literals of which every match contains at least one; the
    expression only runs on texts that contain one, which keeps scanning large corpora fast.
    An empty tuple means the expression always runs.
    """

    id: str
    language: Language
    category: str
    anchors: tuple[str, ...]
    regex: re.Pattern[str]
    requires: tuple[re.Pattern[str], ...] = ()
    views: frozenset[str] | None = None  # only these views (normalise.Origin); None: all

    @property
    def raw(self) -> bool:
        """Markup patterns read the text as written: folding removes what they look for."""
        return self.category == "hidden-text" and self.views is None

    def may_match(self, lowered: str) -> bool:
        """Cheap screen: False only if no match is possible in this lower-cased text."""
        return not self.anchors or any(anchor in lowered for anchor in self.anchors)


def _p(
    pattern_id: str,
    anchors: tuple[str, ...],
    category: str,
    pattern: str,
    requires: str | tuple[str, ...] = (),
    views: frozenset[str] | None = None,
) -> InjectionPattern:
    language = pattern_id.split(".", 1)[0]
    assert language in ("nb", "nn", "en", "any"), pattern_id
    flags = re.IGNORECASE | re.MULTILINE
    return InjectionPattern(
        id=pattern_id,
        language=language,  # type: ignore[arg-type]  # checked by the assert above
        category=category,
        anchors=anchors,
        regex=re.compile(pattern, flags),
        requires=tuple(
            re.compile(r, flags) for r in ((requires,) if isinstance(requires, str) else requires)
        ),
        views=views,
    )


# Words that refer to the model's own instructions.
_NB_NOUNS = (
    r"(?:instruksjon\w*|instruks(?:er|en|ene)?|regl(?:er|ene)|beskjed(?:er|ene)?|føring(?:er|ene)"
    r"|retningslinje\w*|systemprompt\w*|ledetekst\w*|prompt\w*|direktiv\w*|kommando\w*)"
)
_NN_NOUNS = (
    r"(?:instruksjon\w*|instruks(?:ar|en|ane)?|regl(?:ar|ane)|beskjed(?:ar|ane)?|føring(?:ar|ane)"
    r"|retningsline\w*|systemprompt\w*|ledetekst\w*|prompt\w*|direktiv\w*|kommando\w*)"
)
_EN_NOUNS = (
    r"(?:instructions?|prompts?|rules|directions|guidelines|guidance|directives|commands|context"
    r"|messages|guardrails|programming|orders|briefing)"
)
_NB_QUALIFIERS = (
    r"(?:alle|alt|all|de|dine|mine|dette|disse|tidligere|forrige|foregående|ovenstående"
    r"|opprinnelige|øvrige|andre|gamle|nåværende|gitte)"
)
_NN_QUALIFIERS = (
    r"(?:alle|alt|all|dei|dine|mine|dette|desse|tidlegare|førre|føregåande|ovanståande"
    r"|opphavlege|andre|gamle|noverande|gjevne)"
)
_EN_QUALIFIERS = (
    r"(?:all|any|every|the|your|their|its|my|of|these|those|previous|prior|above|earlier"
    r"|preceding|foregoing|original|initial|system|existing|other|old|developer)"
)
_EN_STRONG_QUALIFIER = (
    r"\b(?:all|any|previous|prior|above|earlier|preceding|foregoing|original|initial|system"
    r"|your|existing|developer)\b"
)
_URL = r"(?:https?://|www\.)"
# Characters of one sentence: a full stop counts as an end only before a space (URLs have dots).
_SENT = r"(?:[^.!?\n]|[.!?](?=\S))"
_EMAIL_START = r"[\w.+-]+@[\w-]+\."

_NB_DATA = (
    r"\b(?:samtale\w*|chatten|brukerens|brukerdata|historikk\w*|systemprompt\w*|instruks\w*"
    r"|fødselsnummer\w*|personnummer\w*|kontonummer\w*|personopplysning\w*|passord\w*"
    r"|api-?nøkkel\w*|tokenet|alt du vet|alt du veit|dokumentene|kontekst\w*)\b"
)
_NN_DATA = (
    r"\b(?:samtale\w*|chatten|brukaren\w*|brukardata|historikk\w*|systemprompt\w*|instruks\w*"
    r"|fødselsnummer\w*|personnummer\w*|kontonummer\w*|personopplysning\w*|passord\w*"
    r"|api-?nøkkel\w*|alt du veit|dokumenta|kontekst\w*)\b"
)
_EN_DATA = (
    r"\b(?:conversation|chat|user'?s?|history|prompt|instructions|personal|data|credentials"
    r"|passwords?|api\s*keys?|tokens?|identity numbers?|ssn|documents|context)\b"
)
_CONVERSATION_NB_NN = r"\b(?:samtale\w*|chatten|historikk\w*|systemprompt\w*|brukar\w*|bruker\w*)\b"

# Someone spoken to: the reader as "du", or the assistant by name.
_ADDRESSED = (
    r"\b(?:du|deg|din|ditt|dine|you|your|svar\w*|answer|reply|respond|include|skriv\w*|avslutt\w*"
    r"|assistent\w*|assistant|ki|ai|llm|gpt|modell\w*|model|ignore|ignorer|glem|gløym)\b"
)
# Verbs that put something into a text.
_INSERT_VERBS = (
    r"(?:skriv|skrive|legg(?:e)?\s+(?:\w+\s+)?(?:inn|til|ved)|ta\b(?=[^.!?\n]{0,40}\bmed\b)"
    r"|tek\s+med|inkluder\w*|nevn\w*|nemn\w*"
    r"|avslutt\w*|begynn\w*|byrj\w*|start\w*|sett\s+inn|set\s+inn|signer\w*|merk\w*|gjenta|gjengi"
    r"|henvis\w*|vis\s+til|include|add|append|insert|write|start|begin|end|prefix|sign|mention"
    r"|repeat|put|refer)"
)
# What the answer is called when an instruction speaks of it.
_ANSWER_ANCHORS = (
    "svar",
    "oppsummering",
    "sammendrag",
    "samandrag",
    "answer",
    "reply",
    "response",
    "output",
    "summary",
)
_ANSWER = (
    r"\b(?:svaret|svara|svarene|svar\s+(?:ditt|dine)|hvert\s+svar|alle\s+svar|kvart\s+svar"
    r"|ethvert\s+svar|oppsummering\w*|sammendrag\w*|samandrag\w*|du\s+(?:\w+\s+)?svar(?:er|ar)"
    r"|(?:your|every|each|the|this|final)\s+(?:final\s+)?(?:answer|reply|response|output|summary)s?"
    r"|when\s+you\s+(?:answer|reply|respond))\b"
)
# What is to be put in: a quoted token, a code in capitals, a link, or "the word".
_TOKEN = (
    r"[«\"“'][^»\"”'\n]{1,40}[»\"”']|(?-i:\b[A-ZÆØÅ][A-ZÆØÅ0-9]{3,}(?:-[A-ZÆØÅ0-9]+)*\b)"
    r"|(?:https?://|www\.)\S+"
    r"|\b(?:ordet|kodeordet|koden\s+fra|ordet\s+fra|the\s+(?:code|word|token|phrase)|that\s+code)\b"
)

PATTERNS: tuple[InjectionPattern, ...] = (
    # --- override: drop earlier instructions -----------------------------------------------
    _p(
        "nb.ignore-instructions",
        ("ignorer", "glem", "overse", "overstyr", "tilsidesett"),
        "override",
        rf"\b(?:ignorer|glem|overse|overstyr|tilsidesett)\s+(?:{_NB_QUALIFIERS}\s+){{0,3}}{_NB_NOUNS}",
    ),
    _p(
        "nb.disregard-instructions",
        ("se bort fra", "se vekk fra", "bry deg ikke"),
        "override",
        r"\b(?:se bort fra|se vekk fra|bry deg ikke om)\s+(?:(?:alle|alt|de)\s+)?"
        rf"(?:tidligere|forrige|foregående|ovenstående|opprinnelige|dine|alle)\s+{_NB_NOUNS}",
    ),
    _p(
        "nb.forget-everything",
        ("ignorer", "glem"),
        "override",
        r"\b(?:ignorer|glem)\s+alt\b(?:\s+\w+){0,4}?\s+"
        r"(?:over|ovenfor|tidligere|før|du har fått|du har lært|du vet)\b",
    ),
    _p(
        "nn.ignore-instructions",
        ("ignorer", "gløym", "oversjå", "overstyr", "tilsidesett"),
        "override",
        rf"\b(?:ignorer|gløym|oversjå|overstyr|tilsidesett)\s+(?:{_NN_QUALIFIERS}\s+){{0,3}}"
        rf"{_NN_NOUNS}",
    ),
    _p(
        "nn.disregard-instructions",
        ("sjå bort frå", "sjå vekk frå", "bry deg ikkje"),
        "override",
        r"\b(?:sjå bort frå|sjå vekk frå|bry deg ikkje om)\s+(?:(?:alle|alt|dei)\s+)?"
        rf"(?:tidlegare|førre|føregåande|ovanståande|opphavlege|dine|alle)\s+{_NN_NOUNS}",
    ),
    _p(
        "nn.forget-everything",
        ("ignorer", "gløym"),
        "override",
        r"\b(?:ignorer|gløym)\s+alt\b(?:\s+\w+){0,4}?\s+"
        r"(?:over|ovanfor|tidlegare|før|du har fått|du har lært|du veit)\b",
    ),
    _p(
        "en.ignore-instructions",
        ("ignore", "disregard", "forget", "override", "bypass"),
        "override",
        r"\b(?:ignore|disregard|forget|override|bypass)\s+"
        rf"(?:{_EN_QUALIFIERS}\s+){{1,4}}{_EN_NOUNS}\b",
        requires=_EN_STRONG_QUALIFIER,
    ),
    _p(
        "en.forget-everything",
        ("ignore", "disregard", "forget"),
        "override",
        r"\b(?:ignore|disregard|forget)\s+(?:everything|all of that|all that)\b"
        r"(?:\s+\w+){0,4}?\s*(?:above|before|so far|you were told|you know)\b",
    ),
    # --- role: become someone else --------------------------------------------------------
    _p(
        "nb.you-are-now",
        (
            "du er",
            "fra nå",
            "lat som",
            "rollen som",
            "du har ingen",
            "utviklermodus",
            "la oss",
            "alltid",
        ),
        "role",
        r"\bdu er nå\s+(?:en|ei|et|min|mitt|ikke|fri|ubegrenset|ufiltrert|uten)\b"
        r"|\bfra nå av,?\s+(?:er du|skal du (?:svare|opptre|bare|kun)|svarer du|må du svare)\b"
        r"|\bdu er ikke lenger\b"
        r"|\blat som (?:om|at) du\b|\b(?:spill|ta) rollen som\b"
        r"|\bdu har ingen (?:regler|begrensninger)\b|\butviklermodus\b"
        r"|\bla oss (?:leke|late som|spille)\b|\bdu er\s+[«\"“][^»\"”\n]{2,40}[»\"”]"
        r"|\b(?:alltid|alltid skal)\s+(?:sier|si|skriver|skrive|svarer|svare)\s+[«\"“]",
    ),
    _p(
        "nn.you-are-now",
        ("du er", "frå no", "lat som", "rolla som", "du har ingen", "utviklarmodus"),
        "role",
        r"\bdu er no\s+(?:ein|ei|eit|min|mitt|ikkje|fri|uavgrensa|ufiltrert|utan)\b"
        r"|\bfrå no av,?\s+(?:er du|skal du (?:svare|opptre|berre|kun)|svarar du|må du svare)\b"
        r"|\bdu er ikkje lenger\b"
        r"|\blat som om du\b|\b(?:spel|ta) rolla som\b"
        r"|\bdu har ingen (?:reglar|avgrensingar)\b|\butviklarmodus\b",
    ),
    _p(
        "en.you-are-now",
        (
            "you are",
            "from now",
            "pretend",
            "as if you",
            "play as",
            "developer mode",
            "jailbreak",
            "you have no",
        ),
        "role",
        r"\byou are now\s+(?:a|an|my|no|not|free|unrestricted|unfiltered|acting|playing)\b"
        r"|\bfrom now on,?\s+you(?:'re| are| will (?:act|answer|respond|only)"
        r"| must (?:act|answer|respond|only))\b"
        r"|\byou are no longer\b"
        r"|\bpretend (?:to be|you are|that you)\b|\b(?:act|behave) as if you\b"
        r"|\brole-?play as\b|\bdeveloper mode\b|\bjailbreak\w*"
        r"|\byou have no (?:rules|restrictions|limits)\b",
    ),
    # --- system prompt: reveal hidden instructions ---------------------------------------
    _p(
        "nb.reveal-prompt",
        ("system", "instruks", "ledetekst", "prompt", "regler"),
        "system-prompt",
        r"\bsystem-?prompt\w*|\bsystemledetekst\w*"
        r"|\b(?:vis|skriv ut|gjengi|gjenta|avslør|oppgi|lekk)\s+(?:meg\s+)?(?:alle\s+)?"
        r"(?:dine|din|de|den)\s+(?:skjulte\s+|opprinnelige\s+|interne\s+|første\s+)?"
        r"(?:instruks\w*|ledetekst\w*|prompt\w*|regler)\b",
    ),
    _p(
        "nb.reveal-your-instructions",
        ("instruks", "ledetekst", "prompt", "regl", "beskjed", "føring", "teksten"),
        "system-prompt",
        r"\b(?:vis|skriv ut|gjengi|gjenta|avslør|oppgi|oppgje|lekk|fortell)\s+(?:meg\s+)?"
        r"(?:alle\s+)?(?:instruks\w*|ledetekst\w*|prompt\w*|reglene|reglane|beskjed\w*|føring\w*"
        r"|teksten)\s+(?:dine|du\s+(?:fikk|fekk|har fått|ble gitt|vart gjeve))\b",
    ),
    _p(
        "nn.reveal-prompt",
        ("instruks", "ledetekst", "prompt", "reglar"),
        "system-prompt",
        r"\b(?:vis|skriv ut|gjenta|avslør|oppgje|lek[kt])\s+(?:meg\s+)?(?:alle\s+)?"
        r"(?:dine|din|dei|den)\s+(?:løynde\s+|skjulte\s+|opphavlege\s+|interne\s+|første\s+)?"
        r"(?:instruks\w*|ledetekst\w*|prompt\w*|reglar)\b",
    ),
    _p(
        "en.reveal-prompt",
        ("system", "prompt", "instructions", "rules"),
        "system-prompt",
        r"\bsystem\s*prompt\b|\b(?:developer|hidden|initial)\s+(?:prompt|instructions)\b"
        r"|\b(?:reveal|print|show|repeat|output|leak|disclose)\s+(?:me\s+)?(?:all\s+)?"
        r"(?:your|the)\s+(?:hidden\s+|initial\s+|original\s+|secret\s+)?"
        r"(?:instructions|prompt|rules)\b",
    ),
    # --- output control: say exactly this ------------------------------------------------
    _p(
        "nb.answer-only",
        ("kun", "bare", "utelukkende", "ene og alene"),
        "output-control",
        r"\b(?:svar|skriv|returner|si|gi)\s+(?:kun|bare|utelukkende|ene og alene)\s+"
        r"(?:med\b|ordet\b|teksten\b|frasen\b|[«\"“:])",
    ),
    _p(
        "nb.say-word",
        ("ordet", "frasen", "kodeord"),
        "output-control",
        r"\b(?:skriv|inkluder|ta med|avslutt|begynn|start|legg til|gjenta|nevn)\b[^.\n]{0,50}?"
        r"\b(?:kodeordet|kodeord|passordet|nøkkelordet|hemmelige ordet|ordet|frasen)\s*[«\"“:]",
        requires=r"\b(?:svar\w*|alltid|hvert|deg|du|kodeord\w*|passordet|hemmelige)\b",
    ),
    _p(
        "nn.answer-only",
        ("berre", "einast", "kun", "utelukkande"),
        "output-control",
        r"\b(?:svar|skriv|returner|sei|gje)\s+(?:berre|einast|kun|utelukkande)\s+"
        r"(?:med\b|ordet\b|teksten\b|frasen\b|[«\"“:])",
    ),
    _p(
        "nn.say-word",
        ("ordet", "frasen", "kodeord"),
        "output-control",
        r"\b(?:skriv|inkluder|ta med|avslutt|byrj|start|legg til|gjenta|nemn)\b[^.\n]{0,50}?"
        r"\b(?:kodeordet|kodeord|passordet|nøkkelordet|løyndeordet|ordet|frasen)\s*[«\"“:]",
        requires=r"\b(?:svar\w*|alltid|kvart|deg|du|kodeord\w*|passordet|løynd\w*)\b",
    ),
    _p(
        "en.answer-only",
        ("only", "solely", "exclusively", "just"),
        "output-control",
        r"\b(?:respond|reply|answer|output|say|write)\s+(?:only|solely|exclusively|just)\s+"
        r"(?:with\b|the word\b|the phrase\b|[\"“':])"
        r"|\b(?:only|just)\s+(?:respond|reply|answer|output|say)\s+(?:with\b|[\"“'])",
    ),
    _p(
        "en.say-word",
        ("word", "phrase", "password", "token", "string"),
        "output-control",
        r"\b(?:include|print|output|say|write|append|add|start|end|begin|finish|mention)\b"
        r"[^.\n]{0,50}?\bthe\s+(?:secret\s+|code\s*)?(?:word|phrase|password|token|string)\b",
        requires=r"\b(?:answer|response|reply|always|every|you|your|secret|code)\b",
    ),
    # --- addressed to the model -----------------------------------------------------------
    _p(
        "nb.addressed-to-ai",
        ("du er en", "assistent", "modell", "agent", "chatbot"),
        "addressed-to-ai",
        r"\b(?:hvis|dersom|om)\s+du\s+er\s+en\s+(?:KI|AI|språkmodell|chatbot|KI-assistent"
        r"|AI-assistent|kunstig intelligens)\b"
        r"|\b(?:til|melding til|beskjed til|merknad til|instruks til|notat til)\s+"
        r"(?:deg som er\s+)?(?:en\s+)?"
        r"(?:KI|AI)[- ]?(?:assistent\w*|modell\w*|agent\w*|chatbot\w*)\b"
        r"|\b(?:til|melding til|beskjed til)\s+(?:språkmodell\w*|chatbot\w*)\b"
        r"|^\s*(?:KI|AI)[- ]?(?:assistent\w*|modell\w*|agent\w*)\s*[:,]",
    ),
    _p(
        "nn.addressed-to-ai",
        ("du er ein", "assistent", "modell", "agent", "chatbot"),
        "addressed-to-ai",
        r"\b(?:viss|dersom|om)\s+du\s+er\s+ein\s+(?:KI|AI|språkmodell|chatbot|KI-assistent"
        r"|AI-assistent|kunstig intelligens)\b"
        r"|\b(?:til|melding til|beskjed til|merknad til)\s+(?:deg som er\s+)?(?:ein\s+)?"
        r"(?:KI|AI)[- ]?(?:assistent\w*|modell\w*|agent\w*|chatbot\w*)\b",
    ),
    _p(
        "en.addressed-to-ai",
        ("if you are", "note", "message", "instruction", "attention", "notice"),
        "addressed-to-ai",
        r"\b(?:note|message|instructions?|attention|notice)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?"
        r"(?:ai|assistant|language model|llm|chatbot|gpt|ai model|ai assistant)s?\b"
        r"|\bif you are an?\s+(?:ai|assistant|language model|llm|chatbot|large language model"
        r"|ai assistant)\b",
    ),
    # --- new instructions headers ---------------------------------------------------------
    _p(
        "nb.new-instructions",
        ("instruks", "regler"),
        "override",
        r"\b(?:nye|oppdaterte|viktige|ekstra|hemmelige|skjulte)\s+"
        r"(?:instruks(?:jon(?:er)?|er)?|regler)\s*:",
    ),
    _p(
        "nn.new-instructions",
        ("instruks", "reglar"),
        "override",
        r"\b(?:nye|oppdaterte|viktige|ekstra|løynde|skjulte)\s+"
        r"(?:instruks(?:jon(?:ar)?|ar)?|reglar)\s*:",
    ),
    _p(
        "en.new-instructions",
        ("instruction",),
        "override",
        r"\b(?:new|updated|important|additional|secret|hidden|revised)\s+instructions?\s*:",
    ),
    # --- answer control: put this token or link into your answer ----------------------------
    # An insertion verb, a token (quoted, in capitals, a link, "the word") and the answer, in
    # one sentence and in any order: "legg inn ordet «X» i oppsummeringen", "start every reply
    # with the code X", "henvis til https://… når du svarer".
    _p(
        "any.insert-into-answer",
        _ANSWER_ANCHORS,
        "answer-control",
        # From a sentence's start (so that the engine tries few positions), if a verb follows.
        rf"(?:^|(?<=[.!?:]\s)|(?<=\n))(?={_SENT}{{0,200}}?\b{_INSERT_VERBS}\b){_SENT}{{1,300}}",
        requires=(_ANSWER, _TOKEN),
    ),
    _p(
        "any.remember-token",
        ("husk", "hugs", "remember", "memori", "keep in mind"),
        "answer-control",
        r"\b(?:husk|hugs|remember|memori[sz]e|keep in mind)\s+(?:på\s+)?"
        r"(?:(?:ordet|kodeordet|koden|the code|the word|the token|this code|this word)\s*)?:?\s*"
        r"(?:[«\"“'][^»\"”'\n]{1,40}[»\"”']|(?-i:[A-ZÆØÅ][A-ZÆØÅ0-9]{3,}(?:-[A-ZÆØÅ0-9]+)*\b))",
    ),
    # --- override, said politely: "se bort fra det du har fått beskjed om" ----------------------
    _p(
        "nb.disregard-what-you-were-told",
        ("bort fr", "vekk fr", "overse", "oversjå", "ignorer", "glem", "gløym", "tilsidesett"),
        "override",
        r"\b(?:se bort fra|se vekk fra|sjå bort frå|sjå vekk frå|overse|oversjå|ignorer|glem|gløym"
        r"|tilsidesett|legg(?:e)? (?:vekk|bort))\s+(?:alt|det|alle|dei|de)\s+(?:som\s+)?"
        r"(?:du|dere|de)\s+(?:har\s+|hadde\s+|har blitt\s+)?"
        r"(?:fått|fekk|fikk|ble|vart|vert|blei|blir|er blitt)\b",
    ),
    _p(
        "en.disregard-what-you-were-told",
        ("aside", "disregard", "ignore", "forget"),
        "override",
        r"\b(?:set aside|put aside|disregard|ignore|forget)\s+(?:everything|all|anything|what)\s+"
        r"(?:that\s+)?you\s+(?:were|have been|'ve been|had been)\s+"
        r"(?:told|given|instructed|asked)\b",
    ),
    _p(
        "any.stop-following",
        ("følg", "follow"),
        "override",
        r"\b(?:la\s+være\s+å\s+|slutt\s+å\s+|ikke\s+(?:lenger\s+)?|ikkje\s+(?:lenger\s+)?|not\s+"
        r"|no\s+longer\s+|stop(?:ped)?\s+)(?:følge|følgje|follow(?:ing)?)\s+"
        rf"(?:(?:{_NB_QUALIFIERS}|{_NN_QUALIFIERS}|{_EN_QUALIFIERS})\s+){{0,3}}"
        rf"(?:{_NB_NOUNS}|{_NN_NOUNS}|{_EN_NOUNS})"
        r"(?:\s+(?:dine|du\s+\w+|you\s+\w+(?:\s+\w+)?))?",
        requires=r"\b(?:dine|du|your|you)\b",
    ),
    # --- exfiltration: send data somewhere ------------------------------------------------
    _p(
        "nb.send-data",
        ("http", "www.", "@"),
        "exfiltration",
        r"\b(?:sende?|videresende?|last opp|laste opp|post|oversende?|overføre?|lekke?)\b"
        rf"{_SENT}{{0,120}}?"
        rf"\btil\s+(?:{_URL}|{_EMAIL_START})",
        requires=_NB_DATA,
    ),
    _p(
        "nn.send-data",
        ("http", "www.", "@"),
        "exfiltration",
        r"\b(?:sende?|vidaresende?|last opp|laste opp|post|overføre?|lekk[ae]?|lekt)\b"
        rf"{_SENT}{{0,120}}?"
        rf"\btil\s+(?:{_URL}|{_EMAIL_START})",
        requires=_NN_DATA,
    ),
    _p(
        "en.send-data",
        ("http", "www.", "@"),
        "exfiltration",
        r"\b(?:send|forward|upload|post|transmit|e-?mail|leak|exfiltrate|submit)\b"
        rf"{_SENT}{{0,120}}?"
        rf"\b(?:to|at)\s+(?:{_URL}|{_EMAIL_START})",
        requires=_EN_DATA,
    ),
    _p(
        "any.url-with-data-slot",
        ("http",),
        "exfiltration",
        r"!\[[^\]\n]*\]\(\s*https?://[^)\s]+\?[^)\s]*=[^)\s]*\)"
        r"|https?://[^\s)]*[?&][\w-]+=(?:\{|\[|<|%7B)",
    ),
    # --- fake chat turns ------------------------------------------------------------------
    _p(
        "any.chat-markup",
        (
            "<|",
            "inst]",
            "<<sys",
            "<sys",
            "</sys",
            "<instr",
            "</instr",
            "<prompt",
            "</prompt",
            "##",
            "system",
            "assist",
            "developer",
            "utvikler",
            "tool]",
            "verktøy]",
            "role",
        ),
        "chat-markup",
        r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id)\|>"
        r"|\[/?INST\]|<</?SYS>>|</?(?:system|instructions?|prompt)>"
        r"|^\s*#{2,}\s*(?:system|instruction|instruks\w*)\b"
        r"|^\s*(?:system|assistant|assistent|systemmelding)\s*:"
        r"|\[(?:system|systemmelding|assistant|assistent|developer|utvikler|tool|verktøy)\]"
        r"|[\"']role[\"']\s*:\s*[\"'](?:system|assistant|developer|tool)[\"']",
    ),
    # --- hidden text: matched on the raw text -----------------------------------------------
    # A comment is hidden from a reader of the page but not from a model: one that speaks to
    # someone ("du", "your answer", "assistant") is an instruction; "sist oppdatert" is not.
    _p(
        "any.html-comment",
        ("<!--",),
        "hidden-text",
        r"<!--[\s\S]*?(?:-->|$(?![\s\S]))",
        requires=_ADDRESSED,
    ),
    _p(
        "any.hidden-css",
        ("style",),
        "hidden-text",
        r"<[^>]+style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|visibility\s*:\s*hidden"
        r"|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9]))",
    ),
    _p(
        "any.zero-width-run",
        ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"),
        "hidden-text",
        r"(?:[\u200b\u200c\u200d\u2060\ufeff][^\u200b\u200c\u200d\u2060\ufeff]{0,12}){3,}",
    ),
    _p("any.unicode-tags", (), "hidden-text", r"[\U000E0000-\U000E007F]+"),
)
