"""Intake checklist and read-back (INT-3): pure functions the page and herdesk.js share."""

from __future__ import annotations

from django.utils import translation

from herdesk.workspace.intake import greeting, intake_missing, readback_summary

FULL = {
    "name": "张三",
    "contact": "13812348000",
    "region": "内蒙古 呼和浩特",
    "problem_type": "technical_support",
    "product": "5",
    "order_number": "",
    "description": "真空压力低",
}


def test_complete_record_misses_nothing() -> None:
    assert intake_missing(**FULL) == []


def test_each_missing_item_is_named() -> None:
    empty = {**FULL, "name": "", "contact": " ", "region": "", "description": "", "product": ""}
    assert intake_missing(**empty) == ["name", "contact", "region", "product", "description"]


def test_product_or_order_only_where_relevant() -> None:
    assert intake_missing(**{**FULL, "problem_type": "order_inquiry", "product": ""}) == ["product"]
    assert (
        intake_missing(**{**FULL, "problem_type": "order_inquiry", "product": "", "order_number": "DD1"})
        == []
    )
    assert intake_missing(**{**FULL, "problem_type": "complaint", "product": "", "order_number": "DD1"}) == []
    assert intake_missing(**{**FULL, "problem_type": "complaint", "product": ""}) == ["product"]
    assert intake_missing(**{**FULL, "problem_type": "suggestion", "product": ""}) == []


def test_greeting_and_readback_in_chinese(db) -> None:
    with translation.override("zh-hans"):
        assert greeting() == "您好，这里是牧业公司客户服务中心，很高兴为您服务。"
        text = readback_summary(type_label="技术支持", subject="压力异常报警", product_label="挤奶机 MK-300")
        assert text == "好的，我理解您是关于挤奶机 MK-300 的技术支持问题：压力异常报警，对吗？"
        text = readback_summary(type_label="建议", subject="增加周末送货")
        assert text.startswith("好的，我理解您是关于") and text.endswith("对吗？")


def test_readback_in_english(db) -> None:
    with translation.override("en"):
        text = readback_summary(type_label="Order inquiry", subject="late delivery", order_number="DD123456")
        assert text == (
            "OK, so I understand your Order inquiry question is about DD123456: late delivery. Is that right?"
        )
