"""`banfa intake` on notices unlike the seed (issue 14): the registry chosen per notice, generic duties,
--explain, and the catalogue that records both."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from engine.adapters.rules import load_catalogue, load_registries
from engine.domain.workdays import WorkCalendar
from engine.errors import RegistryError
from tests.e2e.test_cli import banfa
from tests.support.paths import RULES, SEED

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "gov-cn-2018"
ZIMAOQU = CORPUS / "04_guofa2018_38_zimaoqu_gaige.txt"
SANXIANG = CORPUS / "08_guobanfa2018_118_sanxiang_zhidu.txt"


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    return copy


def test_a_state_council_notice_is_read_with_the_state_council_registry() -> None:
    run = banfa("intake", ZIMAOQU, "--json")
    assert run.returncode == 0, run.stderr
    assert "部门名录：国务院部门（2018年机构改革后）（guowuyuan-2018）" in run.stderr
    data = json.loads(run.stdout)
    assert data["registry"] == "guowuyuan-2018"
    drafting = [d for d in data["duties"] if d["drafting"]]
    generic = [d for d in drafting if d["generic"]]
    assert generic and all(d["lead"] is None and d["id"].endswith("-generic") for d in generic)
    assert generic[0]["addressee"] == "各有关省（市）"
    # 自贸试验区 is no department of any registry: kept as written, with a warning
    named = [d for d in drafting if not d["generic"]]
    assert [(d["lead"], d["department"]) for d in named] == [("自贸试验区", None)]
    assert "自贸试验区" in run.stderr
    assert all(d["evidence"] for d in drafting)


def test_explain_lists_the_candidates_it_rejected_and_why() -> None:
    run = banfa("intake", ZIMAOQU, "--json", "--explain")
    assert run.returncode == 0, run.stderr
    rejected = json.loads(run.stdout)["rejected"]
    permissive = [r for r in rejected if r["text"].startswith("授权自贸试验区制定")]
    assert permissive and "授权" in permissive[0]["reason"]
    table = banfa("intake", SANXIANG, "--explain")
    assert table.returncode == 0, table.stderr
    assert "未认定为起草任务的句子" in table.stdout and "标准或规范" in table.stdout
    assert "rejected" not in json.loads(banfa("intake", SANXIANG, "--json").stdout)


def test_the_catalogue_records_its_registry_and_keeps_generic_duties_apart(rules: Path) -> None:
    run = banfa("--rules-dir", rules, "intake", SANXIANG, "--write")
    assert run.returncode == 0, run.stderr
    path = rules / "notices" / "gbf2018-118.toml"
    data = tomllib.loads(path.read_text("utf-8"))
    assert data["notice"]["registry"] == "guowuyuan-2018"
    (duty,) = data["duty"]
    assert duty["generic"] is True and "lead" not in duty and duty["id"].endswith("-generic")
    assert duty["addressee"] == "各地区、各部门" and str(duty["deadline"]) == "2019-03-31"
    check = banfa("--rules-dir", rules, "catalogue", "check", path)
    assert check.returncode == 0, check.stderr
    show = banfa("--rules-dir", rules, "catalogue", "show", "gbf2018-118")
    assert show.returncode == 0 and "（泛指）各地区、各部门" in show.stdout
    catalogue = load_catalogue(path, load_registries(rules).combined, WorkCalendar())
    assert catalogue.registry == "guowuyuan-2018" and catalogue.ingestible == ()
    # no document is drafted for a duty nobody leads yet
    draft = banfa("--rules-dir", rules, "draft", duty["id"], "--out", rules.parent / "drafts")
    assert draft.returncode == 1 and "Traceback" not in draft.stderr
    assert not (rules.parent / "drafts" / duty["id"]).exists()


def test_department_keys_must_be_unique_across_every_registry(rules: Path) -> None:
    extra = rules / "registries" / "clash.toml"
    extra.write_text(
        '[registry]\nid = "clash"\n\n[[department]]\nkey = "caizheng"\nname = "某省财政厅"\n', "utf-8"
    )
    with pytest.raises(RegistryError, match="caizheng"):
        load_registries(rules)
    check = banfa("--rules-dir", rules, "catalogue", "check")
    assert check.returncode == 1
    assert "caizheng" in check.stderr and "唯一" in check.stderr and "Traceback" not in check.stderr


def test_every_registry_shipped_has_keys_no_other_registry_uses() -> None:
    registries = load_registries(RULES)
    keys = [d.key for r in registries.members for d in r]
    assert len(keys) == len(set(keys)) == len(registries.combined)
    assert [r.info.id for r in registries.members] == ["shenzhen-2007", "guowuyuan-2018"]


def test_a_notice_pasted_many_times_is_refused_with_exit_5(tmp_path: Path) -> None:
    twice = tmp_path / "twice.txt"
    twice.write_text(SEED.read_text("utf-8") * 200, "utf-8")  # before issue 14: 12,585 duties, 63 ids
    run = banfa("intake", twice)
    assert run.returncode == 5
    assert "编号重复" in run.stderr and str(twice) in run.stderr and "Traceback" not in run.stderr


def test_a_name_a_person_writes_in_a_catalogue_is_read_with_the_catalogue_s_registry(rules: Path) -> None:
    """统计局 is Shenzhen's 市统计局 by default, but 国家统计局 in a catalogue read with the State Council's."""
    assert banfa("--rules-dir", rules, "intake", SANXIANG, "--write").returncode == 0
    path = rules / "notices" / "gbf2018-118.toml"
    text = path.read_text("utf-8").replace("generic = true", 'generic = true\nlead = "统计局"', 1)
    path.write_text(text, "utf-8")
    registries = load_registries(rules)
    (duty,) = load_catalogue(path, registries.combined, WorkCalendar()).ingestible
    assert duty.lead == registries.named("guowuyuan-2018").lookup("统计局").key
    assert duty.lead != registries.combined.lookup("统计局").key
