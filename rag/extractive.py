"""The offline extractive answerer: picks the sentences of the retrieved sources that best answer a
question and cites each one, or abstains when the evidence is too weak.

It holds what a question asks for (a date, a number), which of its words count, how a sentence is
scored (term coverage, source rank, embedding re-rank), the confidence and the choice of sentences.
It does not retrieve (`rag.retrieve`), verify quotes or map an LLM's markers (`rag.citations`),
or talk to an LLM (`rag.prompts`, `rag.assistant`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from core.arabic import is_mostly_arabic, lexical_terms, normalize, tokenize
from core.glossary import arabic_search_terms, english_words
from core.numbers import NUMBER_WORDS
from core.results import Citation, Source
from rag.abstention import abstention_message
from rag.citations import Sentence, make_citation, source_sentences
from rag.question import answer_type, premise_word, question_terms
from rag.question_kind import answer_kind
from rag.claims import opposite_in, said_in
from rag.short_answer import NO_ITEM, asked_item_scores


@dataclass(frozen=True)
class ExtractiveResult:
    """What `ExtractiveAnswerer.answer` returns."""

    text: str  # the chosen sentences, each followed by its `[n]`, or the abstention message
    citations: list[Citation]
    abstained: bool
    confidence: float  # the best sentence's score after the confidence adjustments
    sources: list[Source]  # the retrieved sources, then any cited neighbouring chunk


@dataclass
class Scored:
    sentence: Sentence
    score: float
    coverage: float
    prior: float
    item: float | None = None  # how well its best span gives what the question asks for (None: not weighed)
    # What orders it without being evidence that the sources answer: its asked item; across languages,
    # its source's rank and the question's names and glossary words in it.
    item_bonus: float = 0.0


_WEEKDAYS = "السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه"
_MONTH_WORDS = ("يناير|فبراير|مارس|ابريل|مايو|يونيو|يونيه|يوليو|يوليه|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر|"
                "كانون|شباط|اذار|نيسان|ايار|حزيران|تموز|اب|ايلول|تشرين")
# A year (19xx and 20xx bare; an earlier one after "عام/سنة/في/منذ/بين…", a bracket or a comma,
# or before م/هـ, so that "1500 شخص" is no date: history is dated too, 1349, 1773; any year after
# "سنة/عام" or before an era, "753 ق.م", "61 للهجرة"), a span of years, a time ago ("قبل 66 مليون
# سنة", "13000 BP"), a day/month pair, a clock time, a weekday or month, a decade, a century with
# its ordinal, "yesterday", "last".
_DECADES = "عشر|ثلاث|اربع|خمس|ست|سبع|ثمان|تسع"
_CENTURY_ORDINALS = "اول|ثاني|ثالث|رابع|خامس|سادس|سابع|ثامن|تاسع|عاشر|حادي"
_DATE_HINT = re.compile(
    rf"((?<!\d)(?:19|20)\d\d(?!\d)|(?:عام|عامي|العامين|سنه|سنتي|في|منذ|حتي|الي|بين|بعد|قبل|خلال|العقد|الفتره|[(،])\s*1\d\d\d(?!\d)"
    rf"|(?<!\d)1\d\d\d\s*(?:م|ه)(?!\w)|(?<!\d)\d{{3,4}}\s*[-–]\s*1\d\d\d(?!\d)|\d{{1,2}}\s*/|\d{{1,2}}:\d\d"
    rf"|(?:سنه|عام)\s*\d{{1,4}}(?!\d)|\d\s*(?:ق\.?\s?م|قبل الميلاد|للهجره|هجريه?|ميلاديه?|ه(?!\w))|\d\s*bp\b"
    rf"|(?:منذ|قبل)\s+(?:حوالي\s+|نحو\s+)?\S+\s+(?:(?:الف|مليون|مليار)\s+)?(?:سنه|سنوات|عام|اعوام)|سنه\s+(?:مضت|خلت)"
    rf"|(?:^|\s)(?:و|في|يوم|مساء|صباح)?(?:{_WEEKDAYS}|{_MONTH_WORDS})(?:\s|$|[.,،])|(?:{_DECADES})يني?ات"
    rf"|القرن\s+(?:ال)?(?:{_CENTURY_ORDINALS})|امس|الماضي)")
# Number words (`core.numbers`), matched as whole words after a proclitic (و ب ل ال) is taken off; a
# currency named counts too ("بعشرة آلاف دولار", "دولارات").
_NUMBER_WORDS = NUMBER_WORDS | frozenset(normalize(w) for w in "دولار دولارات دينار يورو روبل".split())
SEMANTIC_WEIGHT = 0.5  # share of the embedding similarity in a re-ranked sentence's score
CROSS_POOL = 40  # sentences re-scored by embedding for a question not in Arabic (16: the answer was often left out)
CROSS_SEMANTIC_WEIGHT = 0.8  # share of the embedding similarity in their score
CROSS_RANK_WEIGHT = 0.1  # ... plus this times their chunk's retrieval score over the best one's
CROSS_COVERAGE_WEIGHT = 0.3  # ... and this times their coverage of the question's names and glossary words
OWN_SHARE = 0.7  # a follow-up's own words' share of the coverage; the carried previous question has the rest
TYPE_BONUS = 0.1  # added to a sentence holding what the question asks for (a date, a number)
UNSEEN_PENALTY = 0.25  # times the share of the question's words the corpus never uses, off the confidence
# Added to the confidence of a question not in Arabic (see `confidence`): across languages the same
# support scores lower. Calibrated on XQuAD's English questions over its Arabic paragraphs (all
# answerable: false abstention) against 298 of them asked over the five sample articles (off topic
# there: abstention), with the dictionary lookups, the unseen-English-word penalty and the asked date
# or number sought in every sentence an English answer quotes (2026-12-02): 0.2: 13.2 % / 98.7 %;
# 0.28: 4.3 % / 93.0 % (others by shifting the recorded confidences: 0.22: 10.8 / 96.6, 0.25: 7.1 /
# 94.3, 0.3: 2.9 / 91.3). Before the date or number was sought beyond the best sentence, 0.2 gave
# 14.6 % / 98.7 %. At 0.28 "How do I make Turkish coffee at home?" scores 0.368 over the sample
# articles, just under the 0.38 threshold. Neither the retrieved chunk's cosine nor its standing out
# tells answerable from off-topic at archive scale (XQuAD's English questions over the 2,000 news
# articles reach the same cosines as over their own paragraphs); the words the corpus never uses
# (`_unseen_english_share`) are what tells them apart here, and a penalty that grows faster with
# their share bought no more than a point or two.
CROSS_LINGUAL_OFFSET = 0.28
TYPE_MISMATCH_PENALTY = 0.3  # taken off the confidence when the best sentence holds no such thing
# Taken off when no sentence an answer may quote holds the quantity an Arabic how-many / how-much
# question asks: more than any confidence exceeds the threshold by, so the answer abstains. Measured:
# our archive questions 6 -> 9 of the 19 abstentions asked for (no false one); XQuAD-ar two answers
# fewer of 1,190 (both typed as how-many, neither gold a number: "كم حزمةً يتم توجيها" is answered
# "كل على حدة"); XQuAD's English questions and ARCD-train unchanged.
NO_QUANTITY_PENALTY = 1.0
# What a question asks for (rag.short_answer.answer_kind) that a sentence can hold as a few words:
# a date, a number, an amount, a person, a place or a name. ("thing" is any "ما + noun" question,
# often asking for a description.) The named ones are words, not figures.
ITEM_KINDS = frozenset({"date", "count", "amount", "person", "place", "name"})
NAMED_KINDS = frozenset({"person", "place", "name"})
CONTEXT_SENTENCES = 3  # sentences before a candidate whose words count towards it (questions asking for an item)
CONTEXT_CHARS = 600  # ... when they end at most this many characters before it
CONTEXT_SHARE = 0.6  # a question word found only there counts this much
MIN_OWN_COVERAGE = 0.15  # ... for a sentence that covers at least this much of the question itself
PREMISE_PENALTY = 0.5  # taken off when what a why-question takes for granted is not near the best sentence
ITEM_POOL = 12  # front-runners weighed for the asked-for item (a name, a number, a date)
ITEM_WEIGHT = 0.25  # added per unit of their asked-item score (0..ITEM_CAP): the sentence that answers beats the echo
ITEM_CAP = 1.5  # asked-item scores above this are all equally good
MIN_ITEM = 0.5  # below this asked-item score the best sentence gives no person, place or name
NO_ITEM_PENALTY = 0.3  # taken off the confidence then


def _has_number(norm: str) -> bool:
    """A digit, or a number word standing alone or behind proclitics (والخمس، بعشرة، آلاف)."""
    for word in tokenize(norm):
        if any(ch.isdigit() for ch in word):
            return True
        forms = {word, word[1:], word[2:]} if word[:1] in ("و", "ب", "ل", "ف") else {word}
        forms |= {f[2:] for f in forms if f.startswith("ال")}
        if forms & _NUMBER_WORDS:
            return True
    return False


def _type_match(kind: str, text: str) -> bool:
    norm = normalize(text)
    if kind == "when":
        return bool(_DATE_HINT.search(norm))
    if kind == "count":
        return _has_number(norm)
    return False


class ExtractiveAnswerer:
    """Picks the best-supported sentences from the sources and cites each one.

    A sentence's score mixes how much of the question's (IDF-weighted) terms it covers with the
    rank of its chunk, plus a small bonus when it holds what the question asks for (a date for
    "when", a number for "how many"). The best `rerank` sentences are then compared with the
    question by embedding, which also rescues English questions over Arabic text.
    """

    def __init__(self, idf: Callable[[str], float], embed_passages: Callable[[list[str]], list[list[float]]],
                 abstain_threshold: float, max_sentences: int = 2, rerank: int = 6,
                 known: Callable[[str], bool] = lambda term: True) -> None:
        self.idf = idf
        self.known = known
        self.embed_passages = embed_passages
        self.abstain_threshold = abstain_threshold
        self.max_sentences = max_sentences
        self.rerank = rerank

    def answer_terms(self, text: str) -> list[str]:
        """The lexical terms a sentence is weighed by for this question (or a carried earlier one).

        A question not in Arabic keeps only the terms the corpus knows (transliterated names) and
        gains the Arabic words the glossary gives for its English words.
        """
        terms = question_terms(text)
        if not text or is_mostly_arabic(text):
            return terms
        kept = [t for t in terms if self.known(t)] + lexical_terms(arabic_search_terms(text))
        return list(dict.fromkeys(kept))

    def score(self, question: str, question_terms: list[str], carried_terms: list[str], sources: list[Source],
              source_scores: list[float], query_vector: list[float] | None,
              extra_sources: list[tuple[Source, int]] | None = None) -> list[Scored]:
        """Candidate sentences, best first: each source's own, then those of its neighbouring chunks.

        Neighbours matter because a chunk boundary can fall right before the sentence that
        answers: the retrieved chunk is about the right event, the fact sits next door.
        """
        own = {t: self.idf(t) for t in question_terms}
        carried = {t: self.idf(t) for t in carried_terms if t not in own}
        own_total, carried_total = sum(own.values()), sum(carried.values())
        # A follow-up's own words say what it asks; the carried turn only says what it is about.
        own_share = OWN_SHARE if carried_total > 0 and own_total > 0 else (1.0 if own_total > 0 else 0.0)
        top = max(source_scores) if source_scores else 1.0
        kind = answer_type(question)
        scored: list[Scored] = []
        seen: set[tuple[str, int, int]] = set()
        candidates: list[tuple[Sentence, float]] = []
        for n, (source, s_score) in enumerate(zip(sources, source_scores), start=1):
            prior = s_score / top if top > 0 else 0.0
            candidates += [(sentence, prior) for sentence in source_sentences(source, n)]
        # Neighbouring chunks join as extra sources after the retrieved ones (numbered on), so a
        # quote always lies inside the source its [n] names.
        extras = list(extra_sources or [])
        for k, (extra, parent_n) in enumerate(extras, start=len(sources) + 1):
            prior = 0.9 * (source_scores[parent_n - 1] / top if top > 0 else 0.0)
            candidates += [(sentence, prior) for sentence in source_sentences(extra, k)]
        unique: list[tuple[Sentence, float]] = []
        for sentence, prior in candidates:
            if (sentence.file, sentence.start, sentence.end) in seen:
                continue  # overlapping chunks repeat sentences; keep the better-ranked copy
            seen.add((sentence.file, sentence.start, sentence.end))
            if _quotable(sentence.text):
                unique.append((sentence, prior))
        own_terms = {id(sentence): set(lexical_terms(sentence.text)) for sentence, _ in unique}
        # A question asking for an item (a name, a number) is often answered a sentence or three after
        # the one that restates it ("... قاعدة جوية نائية ..." then "وتحمل اسم معطن السارة"): such a
        # sentence also counts the question's words found just before it in its file, at a discount.
        asked, arabic = answer_kind(question), is_mostly_arabic(question)
        before = _preceding_terms(unique, own_terms) if asked in ITEM_KINDS and arabic else {}

        def covered(terms: set[str], context: set[str]) -> float:
            value = 0.0
            if own_total > 0:
                value += own_share * sum(w if t in terms else CONTEXT_SHARE * w if t in context else 0.0
                                         for t, w in own.items()) / own_total
            if carried_total > 0:
                value += (1 - own_share) * sum(w if t in terms or t in context else 0.0
                                               for t, w in carried.items()) / carried_total
            return value

        for sentence, prior in unique:
            coverage = covered(own_terms[id(sentence)], set())
            # (Only for a sentence that holds some of the question itself: a date alone next door is no answer.)
            context = covered(own_terms[id(sentence)], before.get(id(sentence), set())) - coverage \
                if coverage >= MIN_OWN_COVERAGE else 0.0
            bonus = TYPE_BONUS if kind and _type_match(kind, sentence.text) else 0.0
            scored.append(Scored(sentence, 0.75 * (coverage + context) + 0.25 * prior + bonus, coverage, prior))
        scored.sort(key=lambda s: -s.score)
        if scored and query_vector is not None and self.rerank > 0:
            self._rerank_by_embedding(scored, query_vector, cross_lingual=not arabic)
            scored.sort(key=lambda s: -s.score)
        # An English question's words are not beside the span, so its item scores mean little; a date or a
        # number asked for already lifts the sentences holding one (TYPE_BONUS).
        if scored and arabic and asked in NAMED_KINDS | {"thing"}:
            self._weigh_asked_item(question, question_terms, carried_terms, scored)
        return scored

    def _weigh_asked_item(self, question: str, question_terms: list[str], carried_terms: list[str],
                          scored: list[Scored]) -> None:
        # A question asking for a person, a place or a name is answered by a sentence that adds one, not
        # by the sentence that restates the question: the front-runners gain by how well their best span
        # of the asked kind fits, and the order is settled again.
        pool = scored[:ITEM_POOL]
        found = asked_item_scores(question, [s.sentence.text for s in pool], question_terms, self.idf, carried_terms)
        if found is None:
            return
        for item, value in zip(pool, found):
            item.item = value
            bonus = ITEM_WEIGHT * min(ITEM_CAP, max(0.0, value))
            item.score += bonus
            item.item_bonus = bonus
        scored.sort(key=lambda s: -s.score)

    def _rerank_by_embedding(self, scored: list[Scored], query_vector: list[float], cross_lingual: bool = False) -> None:
        # Embedding sentences costs ~0.1 s each on 2 cores, so only the lexical front-runners.
        # A question in another language (English) shares almost no words with Arabic text: its
        # lexical score only knows names, so the embedding decides, over a wider pool of sentences
        # (those sharing a name first, then in the order of their sources).
        weight = SEMANTIC_WEIGHT
        if cross_lingual:
            pool = sorted(scored, key=lambda s: (s.coverage <= 0, s.sentence.source_n, s.sentence.start))[:CROSS_POOL]
            weight = CROSS_SEMANTIC_WEIGHT
        elif scored[0].coverage < 0.2:
            pool = sorted(scored, key=lambda s: (s.sentence.source_n, s.sentence.start))[: self.rerank + 4]
        else:
            pool = scored[: self.rerank]
        vectors = self.embed_passages([s.sentence.text for s in pool])
        for item, vec in zip(pool, vectors):
            cosine = sum(a * b for a, b in zip(vec, query_vector))
            # e5 cosines live in ~[0.75, 0.9]: stretch them onto the 0..1 scale of coverage.
            semantic = min(1.0, max(0.0, (cosine - 0.75) / 0.15))
            item.score = (1 - weight) * item.score + weight * semantic + 0.001  # reranked ones lead
            if cross_lingual:
                # Across languages a sentence's cosine picks the answering sentence out of its passage less
                # surely than the retrievers pick the passage (XQuAD's English questions: the gold sentence
                # is the best by cosine in its own paragraph for 0.71; the paragraph is ranked first for
                # 0.82), and a name or glossary word of the question found in it is firmer evidence still.
                # They order the sentences; they are no evidence that the articles answer at all (a name
                # of the question found anywhere in an off-topic passage), so the confidence leaves them out.
                item.item_bonus = CROSS_RANK_WEIGHT * item.prior + CROSS_COVERAGE_WEIGHT * item.coverage
                item.score += item.item_bonus

    def confidence(self, question: str, question_terms: list[str], scored: list[Scored]) -> float:
        """The best sentence's score, lowered by the share of the question's words the corpus never uses.

        A question about something the articles never mention (بوتين, a population figure) still
        finds sentences sharing its common words; the words it cannot find are the tell. Lowered
        too when the best sentence lacks what was asked (a date, a number of the thing counted, a
        name) and when the passage around it reverses the question's premise (asked why X refused
        where it says X pardoned; "فاز" where it says "خسر", by `rag.claims.opposite_in`). An Arabic
        how-many / how-much question none of whose quotable sentences gives the quantity abstains.
        """
        if not scored:
            return 0.0
        # How well the chosen sentence (with the words just before it) covers the question; the asked
        # item only ordered the sentences. Lowered when the sentence lacks what was asked.
        best = scored[0].score - scored[0].item_bonus
        words = [t for t in question_terms if not t.startswith("~")]
        if is_mostly_arabic(question):
            unseen = sum(1 for t in words if not self.known(t)) / len(words) if words else 0.0
            best -= UNSEEN_PENALTY * unseen
        elif any(self.known(t) for t in words):
            # Across languages the evidence scores lower for the same support: cross-lingual cosines
            # run lower, and the question's words reach Arabic text only through names and the glossary.
            # A question none of whose words reach the articles ("How do I make Turkish coffee?") has
            # only the cosine to stand on, and gets no such allowance.
            # The evidence is the best-supported sentence, whichever the ordering put first.
            best = max(s.score - s.item_bonus for s in scored) + CROSS_LINGUAL_OFFSET
            # As for an Arabic question, the words the articles never use are the tell of an off-topic
            # one ("How do I make Turkish coffee?": القهوة): here the English words with Arabic senses
            # (glossary, dictionary) none of which the corpus uses.
            best -= UNSEEN_PENALTY * self._unseen_english_share(question)
        premise = premise_word(question)
        around = _around(scored[0].sentence, scored)
        if premise and not any(said_in(premise, s.text) for s in around):
            best -= PREMISE_PENALTY  # "why did X refuse": the passage never says X refused
        elif opposite_in(question, scored[0].sentence.text, " ".join(s.text for s in around)):
            # "by how many goals did X win": the best sentence says X lost, and none around it says X won
            # (in English too: "why did Germany lose …" where it says ربحت, through the antonym pairs)
            best -= PREMISE_PENALTY
        kind = answer_type(question)
        # How many / how much, asked in Arabic: what each sentence an answer may quote holds of the
        # quantity asked (NO_ITEM: no number, or only numbers of something else: "كم عدد الطلاب" and
        # "أربعة أشهر").
        quantities = asked_item_scores(question, [s.sentence.text for s in scored[: self.max_sentences]],
                                       question_terms) if kind == "count" and is_mostly_arabic(question) else None
        if quantities and all(q == NO_ITEM for q in quantities):
            # An article about the very thing asked that never gives its number ("كم سعر هاتف فيرتو"
            # over the article presenting the phone): quoting it would look like an answer.
            best -= NO_QUANTITY_PENALTY
        elif kind and not any(_type_match(kind, s.sentence.text) for s in self._quoted(question, scored)) \
                or quantities and quantities[0] == NO_ITEM:
            # asked when / how many, and the evidence quoted holds no date / number of the thing asked
            best -= TYPE_MISMATCH_PENALTY
        elif scored[0].item is not None and scored[0].item < MIN_ITEM and answer_kind(question) in NAMED_KINDS:
            best -= NO_ITEM_PENALTY  # asked a name, a place, an amount: the best evidence gives none
        return best

    def _quoted(self, question: str, scored: list[Scored]) -> list[Scored]:
        """The sentences whose holding the asked date or number counts: the best one for an Arabic
        question; for another language the best `max_sentences`, which its answer always quotes
        (their order across languages is the least sure, see `answer`)."""
        return scored[:1] if is_mostly_arabic(question) else scored[: self.max_sentences]

    def _unseen_english_share(self, question: str) -> float:
        """The share of an English question's translatable words none of whose Arabic terms the corpus uses."""
        reached = []
        for word in english_words(question, min_length=2):
            terms = lexical_terms(arabic_search_terms(word))
            if terms:
                reached.append(any(self.known(t) for t in terms))
        return reached.count(False) / len(reached) if reached else 0.0

    def answer(self, question: str, question_terms: list[str], carried_terms: list[str], sources: list[Source],
               source_scores: list[float], query_vector: list[float] | None, file_texts: dict[str, str],
               extra_sources: list[tuple[Source, int]] | None = None,
               ) -> ExtractiveResult:
        """The best-supported sentences, cited, or the abstention message when the evidence is too weak.

        `extra_sources` are (chunk, n of the retrieved source it neighbours); those that end up
        cited are appended to the returned sources and numbered after the retrieved ones.
        """
        extra_sources = [(src, parent) for src, parent in (extra_sources or [])
                         if src.chunk_id not in {s.chunk_id for s in sources}]
        scored = self.score(question, question_terms, carried_terms, sources, source_scores, query_vector, extra_sources)
        best = self.confidence(question, question_terms, scored)
        if not scored or best < self.abstain_threshold:
            return ExtractiveResult(abstention_message(question), [], True, best, sources)
        chosen: list[Scored] = [scored[0]]
        # Sentences close to the best join it; the less sure the answer (unseen words, no date or
        # number where one was asked for), the more of them. An answer across languages quotes its
        # best `max_sentences`: its sentence scores tell them apart least surely (XQuAD's English
        # questions: the gold sentence is among the best three by cosine in its own paragraph for
        # 0.94, the best one for 0.71).
        cutoff = 0.8 * best if is_mostly_arabic(question) else float("-inf")
        for cand in scored[1:]:
            if len(chosen) >= self.max_sentences or cand.score < cutoff:
                break
            if any(_overlaps(cand.sentence, c.sentence) or _near_duplicate(cand.sentence, c.sentence) for c in chosen):
                continue
            chosen.append(cand)
        follower = _continuation(scored[0], scored)
        if follower is not None and all(follower is not c for c in chosen):
            # The best sentence names the topic; the one after it says "this base ..." and holds the fact.
            chosen = ([chosen[0], follower] + chosen[1:])[: max(2, self.max_sentences)]
        pool = sources + [src for src, _ in extra_sources]
        final = list(sources)
        renumber: dict[int, int] = {}
        parts, citations = [], []
        for item in chosen:
            old_n = item.sentence.source_n
            source = pool[old_n - 1]
            if old_n not in renumber:
                if old_n > len(sources):
                    final.append(source)
                    renumber[old_n] = len(final)
                else:
                    renumber[old_n] = old_n
            citation = make_citation(renumber[old_n], item.sentence, source, file_texts.get(source.file))
            if citation is None:
                continue
            citations.append(citation)
            parts.append(f"{item.sentence.text} [{citation.n}]")
        if not citations:
            return ExtractiveResult(abstention_message(question), [], True, best, sources)
        return ExtractiveResult(" ".join(parts), citations, False, best, final)


_URL = re.compile(r"https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W\d_]{2,}")


def _quotable(text: str) -> bool:
    """Whether a sentence says anything: at least two words once links are taken out (a page's
    stray "..", or a line holding only a link, is no answer to quote)."""
    return len(_WORD.findall(_URL.sub(" ", text))) >= 2


_DEMONSTRATIVES = frozenset(normalize(w) for w in "هذه هذا ذلك تلك هؤلاء وهذه وهذا وذلك وتلك".split())


def _continuation(best: Scored, scored: list[Scored]) -> Scored | None:
    """The sentence right after `best` in its file when it refers back to it ("وأصبحت هذه القاعدة ...")."""
    for cand in scored:
        s = cand.sentence
        if s.file == best.sentence.file and 0 <= s.start - best.sentence.end <= 3:
            return cand if set(tokenize(s.text)[:3]) & _DEMONSTRATIVES else None
    return None


def _preceding_terms(sentences: list[tuple[Sentence, float]], terms: dict[int, set[str]]) -> dict[int, set[str]]:
    """For each sentence, the terms of the (up to CONTEXT_SENTENCES) candidate sentences just before it
    in its file, within CONTEXT_CHARS: the topic a sentence like "وأصبحت هذه القاعدة ..." goes on with."""
    by_file: dict[str, list[Sentence]] = {}
    for sentence, _ in sentences:
        by_file.setdefault(sentence.file, []).append(sentence)
    out: dict[int, set[str]] = {}
    for group in by_file.values():
        group.sort(key=lambda s: s.start)
        for i, sentence in enumerate(group):
            context: set[str] = set()
            for prev in group[max(0, i - CONTEXT_SENTENCES):i]:
                if sentence.start - prev.end <= CONTEXT_CHARS:
                    context |= terms[id(prev)]
            out[id(sentence)] = context
    return out


def _around(sentence: Sentence, scored: list[Scored]) -> list[Sentence]:
    """`sentence` and the candidate sentences of its file within CONTEXT_CHARS before or after it."""
    return [s.sentence for s in scored if s.sentence.file == sentence.file
            and s.sentence.start - sentence.end <= CONTEXT_CHARS and sentence.start - s.sentence.end <= CONTEXT_CHARS]


def _overlaps(a: Sentence, b: Sentence) -> bool:
    return a.file == b.file and a.start < b.end and b.start < a.end


def _near_duplicate(a: Sentence, b: Sentence) -> bool:
    """The same sentence twice (a headline repeated in the body, an overlap), give or take a word."""
    ta, tb = set(tokenize(a.text)), set(tokenize(b.text))
    if not ta or not tb:
        return a.text.strip() == b.text.strip()
    return len(ta & tb) / len(ta | tb) >= 0.7
