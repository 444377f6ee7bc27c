"""The drafting procedure as the tests know it, written out from ../shared/domain.md §2, not from engine.

The model's own table (engine.domain.workflow.model.TRANSITIONS) must agree with this one; the table tests
and the Hypothesis state machine use this as their oracle, so that a change to the code's table (a step
skipped, a state added) fails them instead of passing because the oracle changed with it.

    起草 draft → 征求意见 consultation → 修改 revision → 审查 (合法性审核, then 集体审议) → 发布 → 备案

A review that is not 合法, or a 集体审议 that returns the draft, sends it back (退回修改), from where it is
consulted again or submitted again. A 法规草案 ends when it is forwarded to the legislature (已报送). A duty
may be withdrawn in any state but a final one.
"""

from __future__ import annotations

STATES = (
    "未启动",
    "起草中",
    "征求意见中",
    "修改中",
    "合法性审核中",
    "退回修改",
    "集体审议中",
    "已审议通过",
    "已发布",
    "已备案",
    "已报送",
    "已撤回",
)
FINAL = frozenset({"已备案", "已报送", "已撤回"})

# (state, action) → the next state. Actions are named as the audit trail names them.
MOVES: dict[tuple[str, str], str] = {
    ("未启动", "start"): "起草中",
    ("起草中", "open_consultation"): "征求意见中",
    ("退回修改", "open_consultation"): "征求意见中",
    ("征求意见中", "close_consultation"): "修改中",
    ("修改中", "submit"): "合法性审核中",
    ("退回修改", "submit"): "合法性审核中",
    ("合法性审核中", "review_lawful"): "集体审议中",
    ("合法性审核中", "review_returned"): "退回修改",
    ("集体审议中", "approve"): "已审议通过",
    ("集体审议中", "return"): "退回修改",
    ("已审议通过", "publish"): "已发布",
    ("已审议通过", "forward"): "已报送",
    ("已发布", "file"): "已备案",
}
OPEN = frozenset(STATES) - FINAL
# Actions that keep the state, and where the procedure allows them.
IN_PLACE: dict[str, frozenset[str]] = {
    "upload": frozenset({"起草中", "修改中", "退回修改"}),  # the officer's revised drafts
    "reply": frozenset({"征求意见中"}),  # a consulted department answers while the window is open
    "decide": frozenset({"征求意见中", "修改中"}),  # each opinion gets a decision before the 送审稿
    "extend": OPEN,
    "reassign": OPEN,
    "ingest": frozenset({"未启动"}),
    "amend": OPEN,
}
ACTIONS = tuple(sorted({a for _, a in MOVES} | set(IN_PLACE) | {"withdraw"}))


def next_state(state: str, action: str) -> str | None:
    """Where the procedure takes a duty in `state` on `action`; None when it does not allow the action."""
    if (state, action) in MOVES:
        return MOVES[state, action]
    if action == "withdraw":
        return "已撤回" if state in OPEN else None
    return state if state in IN_PLACE.get(action, frozenset()) else None
