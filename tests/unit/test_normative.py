"""What counts as drafting a normative text, and what does not (domain.md §1)."""

from __future__ import annotations

import pytest

from engine.domain.intake.normative import (
    Document,
    cited_articles,
    document_title,
    drafting_documents,
    split_shared,
)
from engine.domain.intake.specs import Track


@pytest.mark.parametrize(
    ("clause", "documents", "kind"),
    [
        (
            "研究制定服务外包企业认定为高新技术企业的相关规定",
            ["服务外包企业认定为高新技术企业的相关规定"],
            "规定",
        ),
        (
            "会同贸工等部门研究和制定服务外包人才培训资助资金的使用和监管办法",
            ["服务外包人才培训资助资金的使用和监管办法"],
            "办法",
        ),
        (
            "修订完善外贸发展基金、海外拓展基金管理办法，将服务外包企业纳入",
            ["外贸发展基金管理办法", "海外拓展基金管理办法"],
            "办法",
        ),
        (
            "分别提出为服务外包企业人员及其家属提供出入境、居留便利的具体办法",
            ["为服务外包企业人员及其家属提供出入境、居留便利的具体办法"],
            "办法",
        ),
        (
            "研究制定服务外包所需的信息安全和商业秘密保护的专项法规，加强保护",
            ["服务外包所需的信息安全和商业秘密保护的专项法规"],
            "法规",
        ),
        ("制定具体措施，鼓励服务外包企业引进高端人才", ["具体措施"], "措施"),
        (
            "抓紧出台《深圳市促进跨境电商发展管理办法（试行）》",
            ["《深圳市促进跨境电商发展管理办法（试行）》"],
            "办法",
        ),
        ("研究起草《浙江省居家养老服务条例》草案", ["《浙江省居家养老服务条例》草案"], "条例"),
        ("制定实施细则并组织实施", ["实施细则"], "细则"),
        ("制定政务云服务采购管理办法和迁移上云实施方案", ["政务云服务采购管理办法"], "办法"),
        ("过渡期政策的具体实施办法由市国土资源局会同市规划局研究制定", ["过渡期政策的具体实施办法"], "办法"),
        (
            "制订并协助相关部门制订支持服务外包产业发展的鼓励政策及具体实施办法",
            ["支持服务外包产业发展的鼓励政策及具体实施办法"],
            "办法",
        ),
    ],
)
def test_a_drafting_clause_names_its_documents(clause: str, documents: list[str], kind: str) -> None:
    found = drafting_documents(clause)
    assert [d.written for d in found] == documents
    assert {d.kind for d in found} == {kind}


def test_two_documents_joined_by_yiji_are_two_duties() -> None:
    clause = "研究制订高等院校相关专业设置、招生计划、课程设置和产学结合培养人才的办法，以及促进高等院校与有关机构、企业合作培养服务外包高级、复合型人才的办法"
    assert len(drafting_documents(clause)) == 2


@pytest.mark.parametrize(
    "clause",
    [
        "会同市高新办等单位制定深圳市服务外包人才培训计划、建立服务外包人才实训基地",
        "积极做好服务外包人才培训计划的制定及实施中的组织协调工作",
        "协助科技局引导和支持服务外包企业进行国际资质认证",
        "协助市财政局制定专项资金管理办法",
        "支持和引导服务外包企业申请国际资质认证，并按《若干规定》给予资金资助",
        "认真落实《深圳市服务外包管理办法》",
        "贯彻执行国家有关规定",
        "规划建立金融服务外包示范区",
        "开展深圳市服务外包发展战略研究",
        "制定年度工作方案",
        "完善和提高政府服务水平",
    ],
)
def test_plans_assistance_funding_and_applying_a_rule_are_not_drafting(clause: str) -> None:
    assert drafting_documents(clause) == []


def test_a_list_before_a_shared_suffix_splits_only_when_plain() -> None:
    assert split_shared("甲基金、乙基金管理办法") == ["甲基金管理办法", "乙基金管理办法"]
    assert split_shared("出入境、居留便利的具体办法") == ["出入境、居留便利的具体办法"]


def test_cited_articles_are_the_basis() -> None:
    assert cited_articles("根据《若干规定》第二十条，结合各自工作实际") == ("《若干规定》第二十条",)
    assert cited_articles("根据《条例》第五条第二款和《若干规定》第七条") == (
        "《条例》第五条第二款",
        "《若干规定》第七条",
    )
    assert cited_articles("按照《若干规定》给予资助") == ()


def test_titles_are_drafted_for_a_person_to_correct() -> None:
    money = Document("服务外包人才培训资助资金的使用和监管办法", "办法", "制定")
    assert document_title(money, "深圳市") == "深圳市服务外包人才培训资助资金使用和监管办法"
    measures = Document("具体措施", "措施", "制定", purpose="鼓励服务外包企业引进高端人才")
    assert document_title(measures, "深圳市") == "深圳市鼓励服务外包企业引进高端人才的具体措施"
    assert (
        document_title(Document("深圳服务外包税收鼓励措施", "措施", "制定"), "深圳市")
        == "深圳服务外包税收鼓励措施"
    )
    assert document_title(money, None).startswith("服务外包")


def test_a_department_cannot_enact_a_law_only_draft_one() -> None:
    assert Track.for_kind("法规") is Track.LEGISLATIVE
    assert Track.for_kind("规章") is Track.RULE
    assert Track.for_kind("办法") is Track.NORMATIVE
