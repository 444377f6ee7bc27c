"""The State Council registry (rules/registries/guowuyuan-2018.toml) loads and resolves the names notices use."""

from __future__ import annotations

import re
import tomllib
from collections import Counter

import pytest

from engine.domain.departments import Kind, Registry
from tests.support.paths import RULES

PATH = RULES / "registries" / "guowuyuan-2018.toml"
DATA = tomllib.loads(PATH.read_text("utf-8"))
REGISTRY = Registry.from_data(DATA)
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def test_the_registry_describes_itself_and_builds() -> None:
    assert DATA["schema_version"] == 1
    assert DATA["registry"]["id"] == "guowuyuan-2018"
    assert {"国务院", "国务院办公厅"} <= set(DATA["registry"]["issuers"])
    assert len(REGISTRY) == len(DATA["department"])
    assert all(dept.kind is Kind.NATIONAL for dept in REGISTRY)


def test_no_key_is_also_a_key_of_the_shenzhen_registry() -> None:
    shenzhen = tomllib.loads((RULES / "departments.toml").read_text("utf-8"))
    assert {d["key"] for d in shenzhen["department"]} & {d.key for d in REGISTRY} == set()


def test_every_name_is_written_once_and_is_short_and_every_key_is_a_slug() -> None:
    names = Counter(name for dept in REGISTRY for name in dept.names)
    assert [name for name, count in names.items() if count > 1] == []
    assert [name for name in names if not 0 < len(name) <= 30] == []
    assert [dept.key for dept in REGISTRY if not KEY.match(dept.key)] == []


@pytest.mark.parametrize(
    ("written", "full_name"),
    [
        ("发展改革委", "国家发展和改革委员会"),
        ("国家发展改革委", "国家发展和改革委员会"),
        ("发改委", "国家发展和改革委员会"),
        ("科技部", "科学技术部"),
        ("市场监管总局", "国家市场监督管理总局"),
        ("人力资源社会保障部", "人力资源和社会保障部"),
        ("人民银行", "中国人民银行"),
        ("应急部", "应急管理部"),
        ("农业农村部", "农业农村部"),
        ("住房城乡建设部", "住房和城乡建设部"),
        ("税务总局", "国家税务总局"),
        ("海关总署", "海关总署"),
        ("卫生健康委", "国家卫生健康委员会"),
        ("教育部", "教育部"),
        ("公安部", "公安部"),
        ("工业和信息化部", "工业和信息化部"),
        ("交通运输部", "交通运输部"),
        ("水利部", "水利部"),
        ("海洋局", "国家海洋局"),
        ("空管委办公室", "中央空中交通管理委员会办公室"),
        ("体育总局", "国家体育总局"),
        ("标准委", "国家标准化管理委员会"),
        ("统计局", "国家统计局"),
        ("药监局", "国家药品监督管理局"),
        ("银保监会", "中国银行保险监督管理委员会"),
        ("证监会", "中国证券监督管理委员会"),
        ("外汇局", "国家外汇管理局"),
        ("商务部", "商务部"),
        ("财政部", "财政部"),
        ("自然资源部", "自然资源部"),
        ("生态环境部", "生态环境部"),
        ("退役军人部", "退役军人事务部"),
        ("医保局", "国家医疗保障局"),
        ("司法部", "司法部"),
        ("审计署", "审计署"),
        ("国务院国资委", "国务院国有资产监督管理委员会"),
        ("文化和旅游部", "文化和旅游部"),
        ("民航局", "中国民用航空局"),
        ("铁路局", "国家铁路局"),
        ("邮政局", "国家邮政局"),
    ],
)
def test_names_as_state_council_notices_write_them_resolve(written: str, full_name: str) -> None:
    dept = REGISTRY.resolve(written)
    assert dept is not None and dept.name == full_name


def test_resolution_by_variant_gives_no_absurd_department() -> None:
    # resolve() also tries 市X, X局, X办 and strips 部门: the variants must not land on an unrelated body.
    assert _full_name("统计局") == _full_name("统计") == "国家统计局"
    assert _full_name("网信") == "国家互联网信息办公室"
    assert _full_name("财政部门") in (None, "财政部")
    assert REGISTRY.resolve("市场监管部门") is None
    assert REGISTRY.resolve("国家工商行政管理总局") is None  # abolished in 2018, not mapped to its successor


def _full_name(written: str) -> str | None:
    dept = REGISTRY.resolve(written)
    return dept.name if dept else None
