"""One search over tickets, knowledge articles and customers (the workspace header box, KB-2).

    everything_search(user=..., q="乳腺炎 挤奶机") -> Everything(tickets, articles, customers, jump)

Each part is filtered by what `user` may see, through the selector that owns it:
tickets by `ticket_search` (tickets_visible_to), articles by `kb.selectors.article_search`
(articles_visible_to), customers by `customers_visible_to` and only for holders of
customers.view_customer. A ticket number that the user may open is returned as `jump` (the page
redirects). A query that looks like a phone number finds customers through the blind index
(`customer_find_by_phone`): the plaintext number is never stored or queried.

Terms: whitespace-separated, "quoted phrases" kept whole; a term also matches its synonyms
(kb synonym dictionary) for articles and tickets. Tickets keep the exact rule of search.md: every
term is a substring of the document; with synonyms, each combination
of synonyms (at most MAX_SYNONYM_QUERIES) as alternatives of one search (herdesk.search.box: the
newest matches and a count capped at "1,000+", < 100 ms at 1,000,000 tickets).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.safestring import SafeString

from herdesk.customers.selectors import customer_find_by_phone, customers_visible_to
from herdesk.kb.selectors import Query, article_search, highlight, is_staff_reader, parse
from herdesk.kb.synonyms import thesaurus
from herdesk.tickets.models import Ticket
from herdesk.tickets.selectors import tickets_visible_to

from .box import box_ticket_search
from .models import SearchDocument
from .selectors import parse_query
from .text import MAX_TERMS

MAX_SYNONYM_QUERIES = 4
_TICKET_NUMBER = re.compile(r"^[A-Z]{1,6}-\d{6,8}-\d{3,6}$")
_PHONE = re.compile(r"^\+?[\d\s\-()]{7,20}$")


@dataclass
class TicketHit:
    ticket: Ticket
    snippet: SafeString


@dataclass
class Everything:
    q: str
    terms: tuple[str, ...] = ()
    tickets: list[TicketHit] = field(default_factory=list)
    ticket_count: int = 0
    ticket_count_capped: bool = False  # more than ticket_count tickets match ("more than 1,000")
    ticket_count_estimated: bool = False  # ticket_count is an estimate ("about 1,200")
    articles: list[Any] = field(default_factory=list)
    customers: list[Any] = field(default_factory=list)
    jump: str = ""
    by_phone: bool = False
    segmented: tuple[str, ...] = ()


def everything_search(*, user: Any, q: str, limit: int = 10, exact_count: bool = False) -> Everything:
    """See the module docstring. The ticket count is exact up to box.BOX_COUNT_CAP and "more than
    that" beyond (`ticket_count_capped`), or an estimate where counting would be slow
    (`ticket_count_estimated`); exact with `exact_count` (the page's "count all" link)."""
    plan = "exact" if exact_count else "auto"
    q = (q or "").strip()[:200]
    out = Everything(q)
    if not q:
        return out
    number = q.upper()
    if _TICKET_NUMBER.match(number):
        if tickets_visible_to(user).filter(number=number).exists():
            out.jump = number
            return out
        # Someone else's ticket number: in a handful of documents at most, though each of its
        # grams (the date's digits) is common: the exact plan, without a walk first.
        plan = "exact"
    if _PHONE.match(q) and sum(ch.isdigit() for ch in q) >= 7:
        out.by_phone = True
        if user.has_perm("customers.view_customer"):
            out.customers = list(customer_find_by_phone(user=user, phone=q)[:limit])
        return out
    thes = thesaurus()
    query = parse(q, thes)  # ValidationError (field q) on too many / too long terms
    out.terms = query.terms
    # Tickets: the exact substring rule; a phrase with a space is searched as its words. The
    # synonym combinations are alternatives of one search (a ticket matching two counts once).
    combos = itertools.islice(itertools.product(*query.variants), MAX_SYNONYM_QUERIES)
    alternatives = [parse_query(" ".join(combo)) for combo in combos]
    found = box_ticket_search(user=user, alternatives=alternatives, limit=limit, plan=plan)
    out.ticket_count, out.ticket_count_capped = found.count, found.capped
    out.ticket_count_estimated = found.estimated
    tickets = found.tickets
    texts = dict(SearchDocument.objects.filter(pk__in=[t.pk for t in tickets]).values_list("pk", "text"))
    out.tickets = [TicketHit(t, highlight(texts.get(t.pk, ""), query)) for t in tickets]
    if is_staff_reader(user):
        out.articles = article_search(user=user, q=q, query=query, limit=limit)
        if not out.articles and len(query.terms) == 1 and len(query.terms[0]) >= 4:
            # A run of Chinese without spaces ("挤奶机真空压力低"): retry with its words (jieba).
            import jieba

            term = query.terms[0]
            groups = list(thes.groups_in(term))
            covered = [w for g in groups for w in g if w in term]
            cut = [w for w in jieba.cut(term) if len(w.strip()) >= 2 and not any(w in c for c in covered)][
                :MAX_TERMS
            ]
            if len(groups) + len(cut) > 1:
                parts = [*groups, *(thes.variants(w) for w in cut)][:MAX_TERMS]
                split = Query(tuple(v[0] for v in parts), tuple(parts))
                out.segmented = split.terms
                out.articles = article_search(user=user, q="", query=split, limit=limit)
    if user.has_perm("customers.view_customer"):
        cond = Q()
        for term_variants in query.variants:
            any_of = Q()
            for v in term_variants:
                any_of |= Q(name__icontains=v) | Q(organisation__name__icontains=v)
            cond &= any_of
        out.customers = list(customers_visible_to(user).filter(cond).order_by("-id")[:limit])
    return out
