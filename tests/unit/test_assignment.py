"""Who answers for a clause: subjects, 会同, 分别, tags and role lines."""

from __future__ import annotations

import pytest

from engine.domain.intake.assignment import Assignment, clause_assignment, find_tags


def tag(text: str) -> Assignment:
    tags = find_tags(text, None)
    assert len(tags) == 1
    return tags[0].assignment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("制定甲办法。（国家发展改革委会同有关部门负责）", Assignment(("国家发展改革委",), (), True)),
        (
            "制定甲办法。（商务部牵头，工业和信息化部、海关总署参与）",
            Assignment(("商务部",), ("工业和信息化部", "海关总署")),
        ),
        (
            "制定甲办法。（财政部、税务总局按职责分工负责）",
            Assignment(("财政部", "税务总局"), (), False, True),
        ),
        (
            "制定甲办法。（人力资源社会保障部、财政部负责，2019年底前完成）",
            Assignment(("人力资源社会保障部",), ("财政部",)),
        ),
        (
            "制定甲办法。（商务部会同财政部、海关总署等部门负责）",
            Assignment(("商务部",), ("财政部", "海关总署"), True),
        ),
        (
            "制定甲办法。牵头单位：省民政厅；配合单位：省财政厅、省卫生健康委",
            Assignment(("省民政厅",), ("省财政厅", "省卫生健康委")),
        ),
        (
            "制定甲办法。责任单位：市科委（牵头），市财政局、市经信委",
            Assignment(("市科委",), ("市财政局", "市经信委")),
        ),
        (
            "制定甲办法。由省经济和信息化委牵头，省财政厅配合，上半年完成。",
            Assignment(("省经济和信息化委",), ("省财政厅",)),
        ),
    ],
)
def test_responsibility_tags_name_the_lead_and_the_co_departments(text: str, expected: Assignment) -> None:
    assert tag(text) == expected


def test_a_role_sentence_that_goes_on_to_the_duty_is_not_a_tag() -> None:
    assert find_tags("由省教育厅牵头，省财政厅配合，制定实施办法。", None) == []


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("市工商局根据服务外包经营特点，制定便于服务外包企业注册登记的管理办法", Assignment(("市工商局",))),
        (
            "市国税局、深圳海关、国家外汇管理局深圳市分局根据行业特点，分别在服务出口方面制定便利办法",
            Assignment(("市国税局", "深圳海关", "国家外汇管理局深圳市分局"), separately=True),
        ),
        (
            "市文产办、物流办应当根据要求，修订扶持本行业发展的有关规定和管理办法",
            Assignment(("市文产办", "物流办"), separately=True),
        ),
        ("市统计局会同市外经贸局建立统计监测制度", Assignment(("市统计局",), ("市外经贸局",))),
        ("由省教育厅牵头，省财政厅配合，制定实施办法", Assignment(("省教育厅",), ("省财政厅",))),
        (
            "具体实施办法由市国土资源局会同市规划局、市建委研究制定",
            Assignment(("市国土资源局",), ("市规划局", "市建委")),
        ),
        ("会同市财政等部门，修订完善管理办法", Assignment((), ("市财政",), True)),
        ("市规划局、市国土房管局将产业园区纳入规划", Assignment(("市规划局",), ("市国土房管局",))),
    ],
)
def test_the_clause_names_who_drafts_it(clause: str, expected: Assignment) -> None:
    assert clause_assignment(clause, None) == expected


def test_a_clause_without_a_department_has_no_assignment_of_its_own() -> None:
    assert clause_assignment("制定落实《若干规定》第七条内容的具体办法", None) is None
