"""Training test helpers: the workspace's logged-in clients and tickets, plus a module with an exam."""

from __future__ import annotations

from typing import Any

import pytest

from herdesk.workspace.tests.conftest import (  # noqa: F401 - fixtures shared with the workspace tests
    _compiled_messages,
    _service_hours,
    login,
    make_ticket,
    screenshot_dir,
)


@pytest.fixture
def module_with_exam(staff: dict[str, Any]) -> Any:
    """Module `etiquette` with a theory exam (pass mark 60): one single choice (2 points), one
    multiple choice (2 points), one free text (1 point)."""
    from herdesk.training import services as tr

    lead = staff["cs_lead"]
    m = tr.module_create(actor=lead, code="etiquette", title="服务礼仪", materials="微笑服务，先问候后办理。")
    exam = tr.exam_create(actor=lead, module=m, title="服务礼仪理论考试", kind="theory", pass_mark=60)
    tr.question_add(
        actor=lead,
        exam=exam,
        kind="single",
        prompt="接听电话的标准问候语是？",
        points=2,
        choices=[("您好，牧服客服中心，请问有什么可以帮您？", True), ("喂？", False)],
    )
    tr.question_add(
        actor=lead,
        exam=exam,
        kind="multiple",
        prompt="以下哪些属于客户隐私信息？",
        points=2,
        choices=[("手机号码", True), ("住址", True), ("公司公开地址", False)],
    )
    return m


def answers_for(exam: Any, *, right: bool = True, text: str = "") -> dict[int, Any]:
    """Answers to every question of the exam: the correct choices (or wrong ones) and a text."""
    out: dict[int, Any] = {}
    for q in exam.questions.prefetch_related("choices"):
        if q.kind == "text":
            out[q.pk] = text
        else:
            choices = list(q.choices.all())
            want = [c.pk for c in choices if c.correct == right]
            out[q.pk] = want[:1] if q.kind == "single" else want
    return out
