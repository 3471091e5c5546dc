"""The food-safety red flag (#15): reports are flagged, negations, hypotheticals and equipment are not."""

import pytest

from herdesk.triage.foodsafety import detect


@pytest.mark.parametrize(
    "text",
    [
        "刚买的鲜牛奶有异味，喝起来酸酸的",
        "酸奶胀包了，盖子鼓起来，还在保质期内",
        "牛奶里喝出了黑色异物",
        "孩子喝了你们的奶粉后腹泻两天",
        "喝完牛奶全家都呕吐了",
        "宝宝吃了新买的奶粉后起红疹",
        "超市买的酸奶已经过期三天了还在卖",
        "冷链断了，这批酸奶送到店里全是常温的",
        "冷链车送货时车厢温度显示15度，这批鲜奶我们不敢收",
        "冷藏罐停电六个小时，罐里两吨奶温度到了12度",
        "奶酪发霉了",
        "這個牛奶有怪味，喝了以後拉肚子",  # traditional characters
        "the yogurt smells bad, want refund",
        "奶 坏了 有味道 退钱",
        "胀袋了 牛奶袋子鼓鼓的",
    ],
)
def test_reports_are_flagged(text: str) -> None:
    assert detect(text).flagged, text


@pytest.mark.parametrize(
    "text",
    [
        "我乳糖不耐受，请问有没有零乳糖的牛奶",
        "我乳糖不耐受，喝你们的酸奶会不会拉肚子？想先问问",
        "宝宝对牛奶蛋白过敏，可以喝你们哪款奶粉",
        "酸奶表面有一层水是正常的吗",
        "挤奶机坏了，能派人来修吗",
        "建议酸奶瓶改成能重复使用的玻璃瓶",
        "灌装机能灌装玻璃瓶吗",
        "冷链车车厢温度升到9℃，制冷机组报警",  # no product on board named
        "冷链车温度记录显示昨晚有两小时断电，车里没货",
        "牛奶没有异味，只是想问保质期",
        "订奶到期了，怎么续订下一个季度",
        "配送员把奶箱摔坏了还不道歉",
        "如何防止酸奶胀包？有没有储存建议",
    ],
)
def test_non_reports_are_not_flagged(text: str) -> None:
    assert not detect(text).flagged, (text, detect(text).terms)


def test_negated_term_does_not_hide_the_others() -> None:
    flag = detect("酸奶胀包了，还没过期")
    assert flag.flagged and "胀包" in flag.terms and "过期" not in flag.terms


def test_terms_explain_the_flag() -> None:
    assert set(detect("喝了以后拉肚子，牛奶有异味").terms) >= {"异味", "拉肚子"}
