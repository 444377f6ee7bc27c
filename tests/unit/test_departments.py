from __future__ import annotations

import pytest

from engine.domain.departments import Registry, Role, looks_like_department, split_list
from engine.errors import RegistryError, UnknownDepartment

DATA = {
    "department": [
        {"key": "maogong", "name": "深圳市贸易工业局", "short": ["市贸工局", "贸工局"], "aliases": ["贸工"]},
        {
            "key": "caizheng",
            "name": "深圳市财政局",
            "short": ["市财政局"],
            "contacts": {"officer": {"name": "张三", "email": "zhang@example.org"}},
        },
        {"key": "zhishichanquan", "name": "深圳市知识产权局", "short": ["市知识产权局"]},
        {"key": "kexin", "name": "广州市科技和信息化局", "short": ["市科技和信息化局"]},
        {
            "key": "haiguan",
            "name": "中华人民共和国深圳海关",
            "short": ["深圳海关"],
            "kind": "central-vertical",
        },
    ]
}
REG = Registry.from_data(DATA)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("市贸工局", "maogong"),
        ("贸工局", "maogong"),
        ("贸工", "maogong"),
        ("深圳市贸易工业局", "maogong"),
        ("市财政", "caizheng"),
        ("财政部门", "caizheng"),
        ("财政局", "caizheng"),
        ("市财政等", "caizheng"),
        ("知识产权管理部门", "zhishichanquan"),
        ("深圳海关", "haiguan"),
    ],
)
def test_names_as_officials_write_them_resolve_to_one_department(written: str, key: str) -> None:
    dept = REG.resolve(written)
    assert dept is not None and dept.key == key


def test_a_name_the_registry_does_not_know_resolves_to_nothing() -> None:
    assert REG.resolve("市港务局") is None
    assert REG.resolve("财政部") is None  # the ministry is not the city's 财政局
    with pytest.raises(UnknownDepartment, match="市港务局"):
        REG.lookup("市港务局")


def test_contacts_are_read_by_role_and_an_overlay_replaces_them() -> None:
    assert REG.get("caizheng").contact(Role.OFFICER).email == "zhang@example.org"  # type: ignore[union-attr]
    demo = REG.with_contacts(
        {"contacts": {"maogong": {"leader": {"name": "李四", "email": "li@example.org"}}}}
    )
    assert demo.get("maogong").contact(Role.LEADER).email == "li@example.org"  # type: ignore[union-attr]
    assert REG.get("maogong").contact(Role.LEADER) is None


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "缺少"),
        ({"department": [{"key": "Bad Key", "name": "x"}]}, "部门代码"),
        ({"department": [{"key": "a", "name": "甲局"}, {"key": "a", "name": "乙局"}]}, "重复"),
        (
            {"department": [{"key": "a", "name": "甲局"}, {"key": "b", "name": "乙局", "aliases": ["甲局"]}]},
            "同时属于",
        ),
        ({"department": [{"key": "a"}]}, "缺少字段 name"),
        ({"department": [{"key": "a", "name": "甲局", "kind": "galactic"}]}, "kind"),
        ({"department": [{"key": "a", "name": "甲局", "contacts": {"boss": {}}}]}, "角色"),
        (
            {"department": [{"key": "a", "name": "甲局", "contacts": {"officer": {"email": "nobody"}}}]},
            "email",
        ),
    ],
)
def test_a_malformed_registry_is_refused_with_the_reason(data: dict[str, object], problem: str) -> None:
    with pytest.raises(RegistryError, match=problem):
        Registry.from_data(data)


def test_an_overlay_naming_an_unknown_department_is_refused() -> None:
    with pytest.raises(RegistryError, match="nosuch"):
        REG.with_contacts({"contacts": {"nosuch": {}}})


@pytest.mark.parametrize(
    "token",
    [
        "市文产办",
        "国家发展改革委",
        "工业和信息化部",
        "深圳海关",
        "税务总局",
        "国家外汇管理局深圳市分局",
        "省老龄办",
        "市港务局",
    ],
)
def test_department_shaped_names_are_recognised_without_the_registry(token: str) -> None:
    assert looks_like_department(token)


@pytest.mark.parametrize(
    "token", ["其他部门", "有关部门", "加强组织领导", "制定管理办法", "完善财政支持政策", "各区"]
)
def test_topics_and_collective_words_are_not_departments(token: str) -> None:
    assert not looks_like_department(token)


def test_a_list_splits_on_and_only_between_departments() -> None:
    assert split_list("市贸工局、市财政局和市知识产权局", REG) == ["市贸工局", "市财政局", "市知识产权局"]
    assert split_list("市科技和信息化局", REG) == ["市科技和信息化局"]
    assert split_list("工业和信息化部、商务部", None) == ["工业和信息化部", "商务部"]
