"""The food-safety red flag (#15; S1 §七 contingency, S3 §5 product-quality complaints).

A text that reports a possible food-safety or health risk is flagged whatever the classifier says:
the ticket's priority is raised, the supervisor is notified and "major" complaint severity is
suggested. Rules, not a model, on purpose: the flag must be explainable to the agent ("matched: 胀包,
腹泻") and must not depend on how well the installation's own tickets were labelled.

What is NOT a report, handled explicitly:
- negation: "没有异味", "未过期", "还没过期" (the other terms of the text still count);
- hypotheticals and questions about the customer's own condition: "喝了会不会拉肚子", "我乳糖不耐受";
- symptoms without consumption: a health word counts only after the product was eaten or drunk
  ("喝了…后腹泻"), so "对牛奶蛋白过敏，可以喝哪款" is a product question;
- equipment words: "挤奶机坏了" is a fault, "牛奶坏了" is spoilage; "玻璃瓶" is packaging, "喝出玻璃渣"
  is a foreign body;
- a cold-chain failure with no product on board ("车里没货").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import normalise

# A dairy product (not the equipment whose names contain 奶: 挤奶机, 奶罐, 奶杯, 奶牛 ...).
PRODUCT = (
    r"(?:酸奶|奶粉|奶酪|奶油|黄油|奶片|学生奶|鲜奶|牛奶"
    r"|(?<!挤)奶(?![机罐杯泵管衬厅器量卡源站牛农箱])|乳品|产品|这批|货(?!车))"
)
_NEG = "(?:没有|没|无|未|不是|并非|不)"
_CLAUSE = r"[^，。,.!！?？;；\n]"

# Each rule: (name shown to the agent, pattern). Patterns run on normalised (simplified) text.
SPOILAGE = [
    (
        "异味",
        r"异味|怪味|臭味|馊|哈喇味|消毒水味|有味道|味道不对"
        + r"|(?:一股|有股|有点|有些)"
        + _CLAUSE
        + r"{0,5}味",
    ),
    ("变酸", r"酸了|发酸|变酸|酸酸的|酸味|酸臭"),
    ("发苦", r"发苦|苦味"),
    ("变质", r"变质|发霉|霉变|长毛|絮状|结块|颜色(?:发黄|发灰|异常|不对)|长了" + _CLAUSE + r"{0,2}毛"),
    ("坏了", PRODUCT + _CLAUSE + r"{0,3}(?:要)?坏了"),
    ("胀包", r"胀包|胀袋|胀杯|胀气|鼓包|胀起|鼓起|鼓鼓|胀了"),
    ("过期", r"过期|涂改"),
]
FOREIGN = (
    "异物",
    r"异物|(?:里|中|内|出|发现|有)"
    + _CLAUSE
    + r"{0,6}(?:头发|毛发|虫子|虫|玻璃|金属|塑料|黑点|黑色的?东西|石子|铁丝|渣)",
)
HEALTH = (
    r"腹泻|拉肚子|呕吐|吐奶|上吐下泻|腹痛|肚子痛|恶心|不舒服|过敏"
    r"|起疹|红疹|疹子|瘙痒|肿了|都肿|便血|送医|住院|医院|哭闹"
)
# The product was consumed before the symptom: 喝了/吃完/喝…后/食用后.
CONSUMED = (
    r"(?:喝|吃|食用|饮用|冲)(?:了|完|过)|用了你们"
    + r"|(?:喝|吃|食用|饮用)"
    + _CLAUSE
    + r"{0,8}(?:后|以后|之后)"
)
HYPOTHETICAL = r"会不会|是否会|会否|如何防止|怎么防止|怎样避免|如何避免|防止|避免|能不能喝.{0,3}吗"
COLD_CHAIN = (
    r"冷链" + _CLAUSE + r"{0,3}(?:断|没做好|坏|出问题)|断链",
    r"(?:送|收到|到货|车厢|车上)" + _CLAUSE + r"{0,14}(?:\d+\s*(?:度|℃)|常温|温的|温热)",
    r"(?:停电|断电|不制冷|制冷" + _CLAUSE + r"{0,2}坏|降不下来)",
)
NO_PRODUCT = r"没货|空车|没有货|车里没"
ENGLISH = (
    r"\b(?:sour|smells? bad|spoiled|expired|diarrh?o?ea|vomit\w*|allerg\w*|mou?ld\w*"
    r"|foreign object|bloated|swollen)\b"
)


@dataclass(frozen=True)
class FoodSafetyFlag:
    flagged: bool
    terms: tuple[str, ...] = field(default_factory=tuple)


PREVENTION = r"如何防止|怎么防止|怎样防止|怎样避免|如何避免|怎么避免|防止|预防"


def _hits(pattern: str, text: str) -> list[re.Match[str]]:
    """Matches that are neither negated ("没有异味") nor about prevention ("如何防止胀包")."""
    return [
        m
        for m in re.finditer(pattern, text)
        if not re.search(_NEG + "$", text[max(0, m.start() - 3) : m.start()])
        and not re.search(PREVENTION, text[max(0, m.start() - 8) : m.start()])
    ]


AT_RISK = r"吨奶|奶温|奶都|奶要坏|(?:奶|酸奶)" + _CLAUSE + r"{0,4}温度(?:到|升|达)"


def _cold_chain_broken(t: str, has_product: bool) -> bool:
    """A broken cold chain with product on board or in the tank (not an empty truck's alarm)."""
    if re.search(COLD_CHAIN[0], t):
        return True
    if not has_product:
        return False
    delivered_warm = re.search(COLD_CHAIN[1], t) is not None
    cooling_lost = re.search(COLD_CHAIN[2], t) is not None and re.search(AT_RISK, t) is not None
    return delivered_warm or cooling_lost


def detect(text: str) -> FoodSafetyFlag:
    """Flag a possible food-safety or health risk in a customer's text, with the terms that matched."""
    t = normalise(text)
    terms: list[str] = []
    has_product = re.search(PRODUCT, t) is not None
    for name, pattern in [*SPOILAGE, FOREIGN]:
        if _hits(pattern, t) and (has_product or name != "坏了"):
            terms.append(name)
    for m in _hits(HEALTH, t):
        before = t[max(0, m.start() - 20) : m.start()]
        clause = t[max(0, m.start() - 12) : m.end() + 6]
        if re.search(CONSUMED, before) and not re.search(HYPOTHETICAL, clause):
            terms.append(m.group(0))
    if "乳糖不耐" in t and not any(name in terms for name, _ in [*SPOILAGE, FOREIGN]):
        # The customer's own lactose intolerance is not a product risk (#15).
        terms = []
    cold = _cold_chain_broken(t, has_product)
    if cold and not re.search(NO_PRODUCT, t):
        terms.append("冷链断链")
    if re.search(ENGLISH, t):
        terms.append("english:" + re.search(ENGLISH, t).group(0))  # type: ignore[union-attr]
    unique = tuple(dict.fromkeys(terms))
    return FoodSafetyFlag(bool(unique), unique)
